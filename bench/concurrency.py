"""Readers against a database while seed loads swap its content: counts of what they saw.

    python bench/concurrency.py [--loads 40] [--readers 4] [--backend sqlite|postgresql|both]

Two versions of the project's seeds alternate (the second drops the Falcon family and changes every
context length); reader threads page through ``/api/v1/models`` over HTTP-in-process with URLs the
response cache has never seen, so every read reaches the database. Each answer must be wholly one
version: its count and its context lengths must agree. Then pairs of loads run at once; the database
must end as exactly one of the two trees. Prints reads, mixed answers, errors, and load outcomes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from registry.main import create_app
from registry.seeds.load import load_records, read_records
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def variant(folder: Path) -> TreeRecords:
    """The seeds without Falcon and with every context length one token longer."""
    shutil.copytree(ROOT / "seeds", folder)
    (folder / "families" / "falcon.yaml").unlink()
    for path in (folder / "families").glob("*.yaml"):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(_bump(line) for line in lines))
    tree = validate_tree(folder)
    assert tree.ok, tree.problems[:3]
    return tree_records(tree)


def _bump(line: str) -> str:
    head, _, value = line.partition("context_length: ")
    if not value or not value.strip().isdigit():
        return line
    return f"{head}context_length: {int(value) + 1}\n"


def run(engine: sa.Engine, args: argparse.Namespace, folder: Path) -> dict[str, int]:
    migrate.upgrade(engine)
    old = tree_records(validate_tree(ROOT / "seeds"))
    new = variant(folder / "variant")
    versions = {len(old.models): "old", len(new.models): "new"}
    load_records(engine, old)
    client = TestClient(create_app(engine=engine))
    counter = itertools.count()
    stats = {"reads": 0, "mixed": 0, "errors": 0}
    lock, done = threading.Lock(), threading.Event()

    def read() -> None:
        while not done.is_set():
            limit = 200 + next(counter) % 300  # a URL never seen: the database answers
            response = client.get("/api/v1/models", params={"limit": limit, "sort": "slug"})
            with lock:
                stats["reads"] += 1
                if response.status_code != 200:
                    stats["errors"] += 1
                    continue
                body = response.json()
                seen = {versions.get(body["count"], "unknown")}
                for model in body["data"]:
                    slug, context = model["slug"], model["context_length"]
                    before = old.models[slug]["context_length"]
                    after = new.models[slug]["context_length"] if slug in new.models else None
                    if context is not None and after is not None and before != after:
                        seen.add("old" if context == before else "new")
                stats["mixed"] += len(seen) != 1

    readers = [threading.Thread(target=read) for _ in range(args.readers)]
    for thread in readers:
        thread.start()
    for round_ in range(args.loads):
        load_records(engine, new if round_ % 2 == 0 else old)
    done.set()
    for thread in readers:
        thread.join()
    stats["loads"] = args.loads
    stats |= concurrent_loads(engine, old, new)
    return stats


def concurrent_loads(engine: sa.Engine, old: TreeRecords, new: TreeRecords) -> dict[str, int]:
    outcomes = {"paired_loads": 0, "load_failures": 0, "inconsistent_ends": 0}

    def load(records: TreeRecords, failures: list[Exception]) -> None:
        try:
            load_records(engine, records)
        except Exception as exc:  # a clean failure is allowed
            failures.append(exc)

    for _ in range(5):
        failures: list[Exception] = []
        threads = [
            threading.Thread(target=load, args=(records, failures)) for records in (new, old)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with engine.connect() as connection:
            final = read_records(connection)
        outcomes["paired_loads"] += 2
        outcomes["load_failures"] += len(failures)
        outcomes["inconsistent_ends"] += final not in (old, new)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"{'database':<11} {'loads':>6} {'reads':>6} {'mixed':>6} {'errors':>7} "
        f"{'paired loads':>13} {'failed':>7} {'inconsistent':>13}"
    )
    for backend in backends:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            schema = None
            if backend == "sqlite":
                engine = create_db_engine(f"sqlite:///{folder / 'c.sqlite3'}")
            else:
                schema = f"conc_{uuid.uuid4().hex[:8]}"
                admin = sa.create_engine(POSTGRES)
                with admin.begin() as connection:
                    connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                engine = sa.create_engine(
                    POSTGRES,
                    pool_pre_ping=True,
                    connect_args={"options": f"-csearch_path={schema}"},
                )
            try:
                s = run(engine, args, folder)
            finally:
                engine.dispose()
                if schema:
                    with admin.begin() as connection:
                        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
        print(
            f"{backend:<11} {s['loads']:>6} {s['reads']:>6} {s['mixed']:>6} {s['errors']:>7} "
            f"{s['paired_loads']:>13} {s['load_failures']:>7} {s['inconsistent_ends']:>13}"
        )


if __name__ == "__main__":
    main()
