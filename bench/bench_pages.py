"""Time page handlers server-side, in process: median and 90th percentile over N requests.

    .venv/bin/python bench/bench_pages.py [--requests 50] [--database-url URL]

Uses the configured database (``registry seed`` first) and the five models of the brief's
``/compare`` target; each URL is requested once to warm the chart cache, then timed. Requests go
through the whole ASGI app (middleware, routing, the session, the view, Jinja; sync handlers in
the thread pool, as under uvicorn) in this process through httpx's ASGI transport on one event
loop, so the figures are the server's time without a network or a client thread per request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from registry.config import Settings
from registry.main import create_app

COMPARE_FIVE = "/compare?models=llama-3-8b,mixtral-8x7b,deepseek-v3,gpt-3-175b,chinchilla-70b"
URLS = (COMPARE_FIVE, "/", "/models/llama-3-8b", "/families/llama", "/scaling", "/moe",
        "/context", "/evaluations")  # fmt: skip
TARGET_MS = {COMPARE_FIVE: 30.0}  # the brief: /compare for five models, median


async def time_url(client: httpx.AsyncClient, url: str, *, requests: int) -> list[float]:
    """Milliseconds of each of ``requests`` GETs of ``url`` after one warm-up request."""
    first = await client.get(url)
    if first.status_code != 200:
        raise SystemExit(f"{url}: status {first.status_code} (seed the database first)")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return times


async def bench(settings: Settings | None, *, requests: int) -> dict[str, list[float]]:
    """Sorted timings of every URL in URLS."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        return {url: sorted(await time_url(client, url, requests=requests)) for url in URLS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url) if args.database_url else None
    timings = asyncio.run(bench(settings, requests=args.requests))
    print(f"{'page':<90} {'median ms':>10} {'p90 ms':>8}")
    failed = False
    for url, times in timings.items():
        median, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
        target = TARGET_MS.get(url)
        verdict = "" if target is None else (" ok" if median <= target else f" OVER {target} ms")
        failed |= bool(target and median > target)
        print(f"{url:<90} {median:>10.1f} {p90:>8.1f}{verdict}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
