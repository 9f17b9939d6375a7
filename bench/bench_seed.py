"""Benchmark: seeding 10,000 models through ``registry seed`` against merely parsing their YAML.

Run: .venv/bin/python bench/bench_seed.py [--models 10000] [--backend sqlite|postgresql|both]

The seed tree is the project's own ``seeds/``, its family files cloned until it holds ``--models``
models (823 family files for 10,000): every copy of a family gets new family and model slugs
(``-cNN``), parents in ``derived_from`` follow the renaming, and sources, claims, architectures
and evaluations are kept, so the validator and the loader do the work real seeds ask of them.
Alternating for ``--rounds`` rounds, it times:

- A: parsing every file with the validator's own YAML reader (``registry.seeds.yamlio.parse_yaml``:
  libyaml's parser, values with their lines and columns, the seed limits);
- A': the same files through ``yaml.load`` with libyaml's ``CSafeLoader``, for reference;
- B: ``registry seed TREE`` into a freshly migrated database, in this process (reading, validating,
  loading in one transaction, with the change log), then again with nothing to change;

and prints the medians and B / A. Target (issue #11): B / A <= 10.

A tree this size is above the validator's bound on a seed tree (``limits.MAX_MODELS`` = 5,000, a
module constant guarding against hostile pull requests, not a setting): the benchmark raises it
for its own process only.

``--profile FILE`` writes a pyinstrument text profile of the first B (pyinstrument is not a
dependency of the project: install it to profile).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from ruamel.yaml import YAML
from typer.testing import CliRunner

from registry.cli.app import app
from registry.config import get_settings
from registry.seeds import limits
from registry.seeds.validate import FAMILIES_DIR
from registry.seeds.yamlio import YamlDocument, parse_yaml
from registry.store import migrate
from registry.store.engine import create_db_engine, get_engine

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
TARGET = 10.0  # the bound on B / A
POSTGRES = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --- the tree ------------------------------------------------------------------------------------


def build_tree(target: Path, models: int) -> int:
    """Write a seed tree of exactly ``models`` models to ``target``; return its number of files."""
    shutil.copytree(SEEDS, target, ignore=shutil.ignore_patterns(FAMILIES_DIR))
    (target / FAMILIES_DIR).mkdir()
    yaml = YAML(typ="rt")
    yaml.width = 4096
    originals = [yaml.load(path.read_text()) for path in sorted((SEEDS / FAMILIES_DIR).glob("*"))]
    per_copy = sum(len(family["models"]) for family in originals)
    copies = -(-models // per_copy)
    surplus = copies * per_copy - models
    files = 0
    for copy in range(copies):
        suffix = f"-c{copy:02d}"
        documents = [
            yaml.load(path.read_text()) for path in sorted((SEEDS / FAMILIES_DIR).glob("*"))
        ]
        if copy == copies - 1:
            surplus = _drop_leaves(documents, surplus)
            assert surplus == 0, "not enough models without children to trim"
        for document in documents:
            if not document["models"]:
                continue
            slug = document["family"]["slug"] + suffix
            document["family"]["slug"] = slug
            document["family"]["name"] = f"{document['family']['name']} {copy}"
            for model in document["models"]:
                model["slug"] += suffix
                model["name"] = f"{model['name']} {copy}"
                for parent in model.get("derived_from") or []:
                    parent["model"] += suffix
            with (target / FAMILIES_DIR / f"{slug}.yaml").open("w") as handle:
                yaml.dump(document, handle)
            files += 1
    return files


def _drop_leaves(documents: list[Any], count: int) -> int:
    """Remove up to ``count`` models no other model derives from; return how many are left."""
    parents = {
        parent["model"]
        for document in documents
        for model in document["models"]
        for parent in model.get("derived_from") or []
    }
    for document in documents:
        models = document["models"]
        for index in range(len(models) - 1, -1, -1):
            if count and models[index]["slug"] not in parents:
                del models[index]
                count -= 1
    return count


def seed_file_paths(tree: Path) -> list[Path]:
    families = sorted((tree / FAMILIES_DIR).glob("*.yaml"))
    return [tree / "organizations.yaml", tree / "benchmarks.yaml", *families]


# --- timing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s ({self.cpu:.2f} s CPU)"


@contextmanager
def timed(into: list[Timing]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    into.append(Timing(time.perf_counter() - wall, time.process_time() - cpu))


def median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )


# --- A: parsing ----------------------------------------------------------------------------------


def parse_plain(paths: list[Path]) -> None:
    """Merely parse: PyYAML's safe loader on libyaml, the library the validator reads with."""
    for path in paths:
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def parse_located(paths: list[Path]) -> None:
    """The validator's own reader: the same parse, plus every node's line and column."""
    for path in paths:
        document = parse_yaml(path.read_bytes(), str(path), max_depth=limits.MAX_DEPTH)
        assert isinstance(document, YamlDocument), document


# --- B: registry seed ----------------------------------------------------------------------------


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        engine = create_db_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        engine = create_db_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(tree: Path, url: str, into: list[Timing], profile: Path | None = None) -> str:
    """Run ``registry seed TREE`` against ``url`` in this process; its output."""
    os.environ["REGISTRY_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    with timed(into):
        result = CliRunner().invoke(app, ["seed", str(tree)])
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(color=False, unicode=False))
    get_engine().dispose()
    get_engine.cache_clear()
    assert result.exit_code == 0, result.output[-2000:]
    return result.output


def count_models(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM model")).scalar_one()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="parses and seeds, alternated")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of B here")
    args = parser.parse_args()
    limits.MAX_MODELS = max(limits.MAX_MODELS, args.models)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tree = folder / "seeds"
        files = build_tree(tree, args.models)
        paths = seed_file_paths(tree)
        size = sum(path.stat().st_size for path in paths)
        print(f"tree: {args.models:,} models in {files} family files, {size / 1e6:.1f} MB of YAML")
        plain: list[Timing] = []
        located: list[Timing] = []
        fresh: dict[str, list[Timing]] = {backend: [] for backend in backends}
        again: dict[str, list[Timing]] = {backend: [] for backend in backends}
        for round_ in range(args.rounds):
            for backend in backends:
                with timed(plain):
                    parse_plain(paths)
                with timed(located):
                    parse_located(paths)
                with database(backend, folder) as url:
                    profile = args.profile if round_ == 0 and backend == backends[0] else None
                    output = seed(tree, url, fresh[backend], profile)
                    assert count_models(url) == args.models, output[-500:]
                    assert "unchanged" in seed(tree, url, again[backend])
        a, plain_load = median(located), median(plain)
        print(f"medians of {args.rounds} rounds, wall (CPU):")
        print(f"A  parse every file with the validator's YAML reader (parse_yaml): {a}")
        print(f"A' parse every file with yaml.load and libyaml's CSafeLoader:     {plain_load}")
        for backend in backends:
            b, unchanged = median(fresh[backend]), median(again[backend])
            print(f"B  registry seed, {backend}, into a fresh database: {b}")
            print(f"   registry seed again, nothing to change: {unchanged}")
            verdict = "meets" if b.wall / a.wall <= TARGET else "misses"
            print(
                f"   B / A = x{b.wall / a.wall:.1f} wall, x{b.cpu / a.cpu:.1f} CPU "
                f"({verdict} the target <= x{TARGET:g}); B / A' = x{b.wall / plain_load.wall:.1f}"
                f"; unchanged / A = x{unchanged.wall / a.wall:.1f}"
            )


if __name__ == "__main__":
    main()
