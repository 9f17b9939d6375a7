"""A bounded load test on loopback: many clients on a mix of API and page requests.

    python bench/load_test.py [--backend sqlite|postgresql|both] [--connections 64] [--seconds 60]
                              [--workers 2]

Loads the project's seeds into a fresh database (an SQLite file, or a schema of its own in the local
PostgreSQL database ``test``), starts ``registry serve --workers N`` on a free loopback port, and
drives it with ``wrk`` (Debian's package) through a Lua script that picks a random URL from a mix
of API reads, exports and pages for every request. Prints requests, errors (non-2xx/3xx and socket
errors), requests per second, p50 and p99, and with both databases PostgreSQL's p99 over SQLite's
(issue 11: at most x2). Traffic goes to 127.0.0.1 only, and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MIX = [
    # API reads (several of them uncached on first sight: different filters and pages)
    "/api/v1/models",
    "/api/v1/models?access=open-weights&min_context=131072&sort=-total_params&limit=50",
    "/api/v1/models?architecture=moe&input_modality=image",
    "/api/v1/models?family=llama&sort=release_date&limit=100",
    "/api/v1/models?q=instruct&offset=10",
    "/api/v1/models/mixtral-8x7b",
    "/api/v1/models/llama-3.1-405b",
    "/api/v1/models/deepseek-v3",
    "/api/v1/models/llama-3-8b/placement?inference_tokens=1e13",
    "/api/v1/compare?models=mixtral-8x7b,llama-3.1-8b,deepseek-v3,qwen2.5-72b,gemma-2-27b",
    "/api/v1/families",
    "/api/v1/families/qwen",
    "/api/v1/organizations",
    "/api/v1/models.csv?family=mistral",
    "/api/v1/calc/optimal?flops=5.76e23",
    "/api/v1/calc/place?params=8.03e9&tokens=15e12",
    # pages
    "/",
    "/?architecture=moe&sort=-total_params",
    "/models/mixtral-8x7b",
    "/models/llama-3.1-405b",
    "/families/llama",
    "/compare?models=mixtral-8x7b,llama-3.1-8b,deepseek-v3",
    "/scaling",
    "/moe",
    "/context",
    "/evaluations",
    "/calculator",
]
LUA = """
local paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{command[-1]} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def prepare(backend: str, folder: Path) -> tuple[str, str | None]:
    """A database URL holding the seeds (and, for PostgreSQL, the schema to drop afterwards)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'load.sqlite3'}", None
    schema = f"load_{uuid.uuid4().hex[:8]}"
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def wait_up(base: str) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/v1/families", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def load(backend: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url, schema = prepare(backend, folder)
        env = {**os.environ, "REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(folder)}
        registry = [sys.executable, "-c", "from registry.cli.app import main; main()"]
        run([*registry, "db", "upgrade"], env)
        run([*registry, "seed"], env)
        port = free_port()
        log = (folder / "server.log").open("w")
        server = subprocess.Popen(
            [*registry, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base)
            for path in MIX * 2 * args.workers:  # every URL answers, and warms every worker
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    assert response.status == 200, path
            script = folder / "mix.lua"
            script.write_text(LUA % ", ".join(f'"{p}"' for p in MIX))
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script),
                    base,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            problems = [
                line
                for line in (folder / "server.log").read_text().splitlines()
                if " 500 " in line or " 503 " in line or "Error" in line
            ]
            if problems:
                print(f"{backend}: {len(problems)} server log lines with errors: {problems[:3]}")
            if schema:
                drop(schema)
    return parse(out)


def parse(out: str) -> dict[str, float]:
    def latency(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert match, out
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    socket_errors = sum(int(x) for x in sockets.groups()) if sockets else 0
    return {
        "requests": requests,
        "errors": (int(non2xx[1]) if non2xx else 0) + socket_errors,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"{args.connections} connections for {args.seconds} s, {args.workers} server workers, "
        f"{len(MIX)} URLs (API reads, exports, calculator and pages) at random"
    )
    print(
        f"{'database':<11} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    )
    results = {}
    for backend in backends:
        r = results[backend] = load(backend, args)
        print(
            f"{backend:<11} {r['requests']:>9.0f} {r['errors']:>7.0f} {r['rps']:>8.0f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
        )
    if len(results) == 2:
        ratio = results["postgresql"]["p99_ms"] / results["sqlite"]["p99_ms"]
        print(f"PostgreSQL p99 / SQLite p99: x{ratio:.2f} (target: at most x2)")


if __name__ == "__main__":
    main()
