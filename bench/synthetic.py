"""Synthetic knowledge bases of any size, cloned from the project's own seeds, for the benchmarks.

Every synthetic model is a copy of a real model of ``seeds/`` (its claims with their sources,
evaluations, lineage, architecture and notes), so rows are as wide and as varied as the real ones.
The seeds are copied over and over in their tree order as ``model-NNNNNN``, grouped in families of
20 (``fam-NNNNN``, named after the real family of their first member); lineage points at the
parent's copy in the same pass. Each model's parameter counts are scaled by a random factor between
0.3 and 3 (training figures derived again), so sizes practically never tie (a sort by size has one
order) and a size filter cuts the table anywhere. Models are built as loader records (the shape the
seed loader writes), so a 100,000-model database loads without writing YAML. The same rows can be
written as one flat table for Datasette, the usual way to publish an SQLite table as JSON and HTML.
"""

from __future__ import annotations

import copy
import gc
import random
import sqlite3
from functools import lru_cache
from pathlib import Path

import pandas as pd

from registry.seeds.load import load_records
from registry.seeds.records import Record, TreeRecords, canonical_rows, tree_records
from registry.seeds.training import derive_training
from registry.seeds.validate import validate_tree
from registry.store.engine import create_db_engine
from registry.store.migrate import upgrade

TEMPLATE_TREE = Path(__file__).resolve().parent.parent / "seeds"
MODELS_PER_FAMILY = 20
SCALED = ("total_params", "active_params", "language_model_params")
FLAT_COLUMNS = (
    "slug",
    "name",
    "family",
    "organization",
    "release_date",
    "access",
    "openness",
    "architecture",
    "total_params",
    "active_params",
    "training_tokens",
    "tokens_per_param",
    "context_length",
    "stage",
)


@lru_cache(maxsize=1)
def template_records() -> TreeRecords:
    """The project's seeds as records (validated once per process)."""
    tree = validate_tree(TEMPLATE_TREE)
    if not tree.ok:
        raise RuntimeError(f"the seed tree {TEMPLATE_TREE} does not validate")
    return tree_records(tree)


def synthetic_records(count: int, *, seed: int = 0) -> TreeRecords:
    """``count`` models cloned from the seeds, in families of 20 (see the module's text)."""
    gc.disable()  # millions of small containers: the collector's passes would dominate
    try:
        return _synthetic_records(count, seed)
    finally:
        gc.enable()


def _synthetic_records(count: int, seed: int) -> TreeRecords:
    rng = random.Random(seed)
    template = template_records()
    base = list(template.models.values())
    position = {record["slug"]: j for j, record in enumerate(base)}
    records = TreeRecords(
        organizations=copy.deepcopy(template.organizations),
        benchmarks=copy.deepcopy(template.benchmarks),
    )
    for i in range(count):
        copy_index, j = divmod(i, len(base))
        source = base[j]
        family = f"fam-{i // MODELS_PER_FAMILY:05d}"
        if family not in records.families:
            real = template.families[source["family"]]
            records.families[family] = {
                **real,
                "slug": family,
                "name": f"{real['name']} {i // MODELS_PER_FAMILY}",
            }
        record = _clone(source, i, family, 10 ** rng.uniform(-0.5, 0.5))
        first = copy_index * len(base)
        record["lineage"] = canonical_rows(
            [f"model-{first + position[parent]:06d}", relation, note]
            for parent, relation, note in source["lineage"]
            if first + position[parent] < count
        )
        records.models[record["slug"]] = record
    return records


def _clone(source: Record, index: int, family: str, scale: float) -> Record:
    record = {
        key: list(value) if isinstance(value, list) else value for key, value in source.items()
    }
    record["claims"] = {name: list(claim) for name, claim in source["claims"].items()}
    record["evaluations"] = [list(row) for row in source["evaluations"]]
    record.update(slug=f"model-{index:06d}", name=f"{source['name']} ({index})", family=family)
    for name in SCALED:
        if record[name]:
            record[name] = max(1, round(record[name] * scale))
    derive_training(record, record["claims"])
    return record


def build_registry_db(path: Path, records: TreeRecords) -> None:
    """A migrated registry database at ``path`` holding ``records``."""
    build_database(f"sqlite:///{path}", records)


def build_database(url: str, records: TreeRecords) -> None:
    """Migrate the (empty) database at ``url`` and load ``records`` into it (without the change
    log, which no benchmark reads)."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        load_records(engine, records, history=False)
    finally:
        engine.dispose()


def build_flat_db(path: Path, records: TreeRecords) -> None:
    """The same models as one indexed table ``models``, for Datasette."""
    frame = pd.DataFrame([{c: m[c] for c in FLAT_COLUMNS} for m in records.models.values()])
    with sqlite3.connect(path) as connection:
        frame.to_sql("models", connection, index=False, if_exists="replace")
        for column in ("access", "context_length", "total_params", "family", "release_date"):
            connection.execute(f"CREATE INDEX ix_models_{column} ON models ({column})")
