"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

POSTGRES_URL = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TESTS = Path(__file__).parent
MINI_SEEDS = TESTS / "data" / "mini_seeds"
PROJECT_SEEDS = TESTS.parent / "seeds"
SHARED_DATA = TESTS.parent.parent / "shared" / "data"


def table_rows(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, sorted: to check that nothing changed."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(repr, row)) for row in connection.execute(table.select()))
            for name, table in metadata.tables.items()
        }
