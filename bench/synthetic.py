"""Synthetic knowledge bases of any size, for the API benchmarks.

Models are built as loader records (the same shape the seed loader writes), so a 100,000-model
database loads in seconds without writing YAML. The same rows can be written as one flat table for
Datasette, the usual way to publish an SQLite table as JSON and HTML.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import sqlite3
from pathlib import Path

import pandas as pd

from registry.seeds.load import load_records
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree
from registry.store.engine import create_db_engine
from registry.store.migrate import upgrade

TEMPLATE_TREE = Path(__file__).resolve().parent.parent / "tests" / "data" / "mini_seeds"
MODELS_PER_FAMILY = 20
CONTEXTS = (2048, 4096, 8192, 32768, 131072, 200000, 1048576)
ACCESS = (
    ("open-weights", "open-weights-permissive"),
    ("open-weights", "open-weights-restricted"),
    ("api", "closed"),
    ("both", "open-weights-permissive"),
)
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


def synthetic_records(count: int, *, seed: int = 0) -> TreeRecords:
    """``count`` plausible models in families of 20 across 20 organizations."""
    rng = random.Random(seed)
    template = tree_records(validate_tree(TEMPLATE_TREE))
    base = template.models["demo-7b"]
    records = TreeRecords()
    for o in range(20):
        records.organizations[f"org-{o:02d}"] = {
            "slug": f"org-{o:02d}",
            "name": f"Org {o}",
            "url": None,
            "country": None,
        }
    for i in range(count):
        family = f"fam-{i // MODELS_PER_FAMILY:05d}"
        organization = f"org-{(i // MODELS_PER_FAMILY) % 20:02d}"
        if family not in records.families:
            records.families[family] = {
                "slug": family,
                "name": family.title(),
                "organization": organization,
                "description": None,
                "url": None,
            }
        record = copy.deepcopy(base)
        total = int(10 ** rng.uniform(8, 12))
        moe = rng.random() < 0.2
        active = total // rng.choice((4, 8, 16)) if moe else total
        tokens = int(active * 10 ** rng.uniform(0.5, 3.5))
        access, openness = rng.choice(ACCESS)
        released = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 7 * 365))
        record.update(
            slug=f"model-{i:06d}",
            name=f"Synthetic {i}",
            family=family,
            organization=organization,
            access=access,
            openness=openness,
            architecture="moe" if moe else "dense",
            experts=8 if moe else None,
            experts_per_token=2 if moe else None,
            total_params=total,
            active_params=active,
            training_tokens=tokens,
            tokens_per_param=tokens / active,
            training_flops=6.0 * active * tokens,
            context_length=rng.choice(CONTEXTS),
            release_date=released.isoformat(),
            release_date_precision="day",
            knowledge_cutoff=None,
            knowledge_cutoff_precision=None,
            license=None if access == "api" else "Apache-2.0",
            evaluations=[],
            lineage=[],
            claims={},
            input_modalities=["text"],
            output_modalities=["text"],
        )
        records.models[record["slug"]] = record
    return records


def build_registry_db(path: Path, records: TreeRecords) -> None:
    """A migrated registry database at ``path`` holding ``records``."""
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    load_records(engine, records)
    engine.dispose()


def build_flat_db(path: Path, records: TreeRecords) -> None:
    """The same models as one indexed table ``models``, for Datasette."""
    frame = pd.DataFrame([{c: m[c] for c in FLAT_COLUMNS} for m in records.models.values()])
    with sqlite3.connect(path) as connection:
        frame.to_sql("models", connection, index=False, if_exists="replace")
        for column in ("access", "context_length", "total_params", "family", "release_date"):
            connection.execute(f"CREATE INDEX ix_models_{column} ON models ({column})")
