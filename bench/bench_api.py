"""The registry's model query against Datasette and against a pre-serialised ceiling, side by side.

    python bench/bench_api.py [--models 10000] [--seconds 10] [--connections 16] [--datasette PATH]

Builds 10,000 synthetic models, loads them into the registry and, as one flat indexed table, into
Datasette (installed separately: ``pip install datasette`` in its own environment). Both answer
the same query, open weights with context >= 128k sorted by total parameters descending, 50 rows
with the total count, and must return the same rows. Load comes from ``wrk`` (Debian's package) at
equal concurrency, one server process each, A and B alternated; the script prints requests per
second, p50 and p99, and the ratios. Then it times indexed filters in-process at 1k, 10k and 100k
models.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import build_flat_db, build_registry_db, synthetic_records

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_QUERY = "/api/v1/models?access=open-weights&min_context=131072&sort=-total_params&limit=50"
DATASETTE_QUERY = (
    "/flat/models.json?access=open-weights&context_length__gte=131072"
    "&_sort_desc=total_params&_size=50&_shape=objects"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


@contextmanager
def server(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server until the block ends; yield its base URL once it answers."""
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP error: the server is up
                    break
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def wrk(url: str, *, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert match, out
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": float(errors[1]) if errors else 0.0,
    }


def registry_command(port: int, factory: str = "registry.main:create_app") -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def compare_servers(args: argparse.Namespace, folder: Path) -> None:
    records = synthetic_records(args.models)
    build_registry_db(folder / "registry.sqlite3", records)
    build_flat_db(folder / "flat.sqlite3", records)
    env = {
        "REGISTRY_DATABASE_URL": f"sqlite:///{folder / 'registry.sqlite3'}",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
    }
    ports = free_port(), free_port(), free_port()
    datasette = [
        args.datasette,
        "serve",
        str(folder / "flat.sqlite3"),
        "-p",
        str(ports[1]),
        "--setting",
        "suggest_facets",
        "off",
    ]
    with (
        server(registry_command(ports[0]), ports[0], env) as registry_url,
        server(datasette, ports[1]) as datasette_url,
        server(
            registry_command(ports[2], "ceiling_app:create_app"),
            ports[2],
            {**env, "CEILING_BYTES": "0"},
        ) as _,
    ):
        ours = get_json(registry_url + REGISTRY_QUERY)
        theirs = get_json(datasette_url + DATASETTE_QUERY)
        same = [m["slug"] for m in ours["data"]] == [r["slug"] for r in theirs["rows"]]  # type: ignore[index]
        assert same and ours["count"] == theirs["filtered_table_rows_count"], "different answers"  # type: ignore[index]
        size = len(urllib.request.urlopen(registry_url + REGISTRY_QUERY).read())
        print(
            f"{args.models:,} models; both return the same {len(ours['data'])} rows of "  # type: ignore[index]
            f"{ours['count']:,} matches; the registry's answer is {size:,} bytes"
        )  # type: ignore[index]
    env_ceiling = {**env, "CEILING_BYTES": str(size)}
    with (
        server(registry_command(ports[0]), ports[0], env) as registry_url,
        server(datasette, ports[1]) as datasette_url,
        server(
            registry_command(ports[2], "ceiling_app:create_app"), ports[2], env_ceiling
        ) as ceiling_url,
    ):
        targets = {
            "registry": registry_url + REGISTRY_QUERY,
            "datasette": datasette_url + DATASETTE_QUERY,
            "ceiling": ceiling_url + "/ceiling",
        }
        for url in targets.values():  # warm-up: imports, caches, connection pools
            wrk(url, seconds=2, connections=args.connections)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, url in targets.items():
                rounds[name].append(wrk(url, seconds=args.seconds, connections=args.connections))
    print(
        f"\nwrk, {args.connections} connections, {args.rounds} rounds of {args.seconds} s, "
        "one server process each (medians over rounds)"
    )
    print(f"{'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    summary = {}
    for name, runs in rounds.items():
        summary[name] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        s = summary[name]
        figures = f"{s['rps']:>9.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['errors']:>7.0f}"
        print(f"{name:<10} {figures}")
    ours, theirs, ceiling = summary["registry"], summary["datasette"], summary["ceiling"]
    print(f"registry / datasette requests per second: x{ours['rps'] / theirs['rps']:.1f}")
    print(f"registry / ceiling requests per second:   {ours['rps'] / ceiling['rps']:.2f}")
    print(f"p99 registry {ours['p99_ms']:.1f} ms vs datasette {theirs['p99_ms']:.1f} ms")


def indexed_filter_scaling(folder: Path) -> None:
    """Median in-process time of indexed filters (no response cache) at 1k, 10k and 100k models."""
    from sqlmodel import Session

    from registry.store import queries
    from registry.store.engine import create_db_engine
    from registry.store.filters import ModelFilters

    cases = {
        "family (20 models)": ModelFilters(family="fam-00007"),
        "slug lookup": None,
        "family + sort by size": ModelFilters(family="fam-00021", sort="-total_params"),
    }
    print("\nindexed filters, median ms over 200 calls of the query function (no response cache)")
    print(
        f"{'filter':<24} " + " ".join(f"{n:>9,}" for n in (1_000, 10_000, 100_000)) + "   100k/1k"
    )
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for count in (1_000, 10_000, 100_000):
        path = folder / f"scale-{count}.sqlite3"
        build_registry_db(path, synthetic_records(count, seed=1))
        engine = create_db_engine(f"sqlite:///{path}")
        with Session(engine) as session:
            for name, filters in cases.items():

                def call(filters: ModelFilters | None = filters) -> object:
                    if filters is None:
                        return queries.models_by_slug(session, slugs=["model-000321"])
                    return queries.list_models(session, filters=filters)

                call()
                samples = []
                for _ in range(200):
                    start = time.perf_counter()
                    call()
                    samples.append((time.perf_counter() - start) * 1000)
                timings[name].append(statistics.median(samples))
        engine.dispose()
    for name, values in timings.items():
        print(
            f"{name:<24} "
            + " ".join(f"{v:>9.2f}" for v in values)
            + f"   x{values[2] / values[0]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--datasette", default=shutil.which("datasette") or "datasette")
    parser.add_argument("--skip-servers", action="store_true", help="only the in-process part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_servers:
            compare_servers(args, Path(scratch))
        indexed_filter_scaling(Path(scratch))


if __name__ == "__main__":
    main()
