"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def table_rows(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, sorted: to check that nothing changed."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(repr, row)) for row in connection.execute(table.select()))
            for name, table in metadata.tables.items()
        }
