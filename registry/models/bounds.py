"""The range of values each column holds on both databases, read from its type.

The seed validator and the probe-run API refuse what a column cannot hold with these bounds, so a
value that validates loads on SQLite and on PostgreSQL alike (docs/RELIABILITY.md, "Hostile input").
SQLite would store any 64-bit integer in an ``INTEGER`` column; PostgreSQL's ``integer`` holds 32
bits, so the narrower bound is the one enforced. Floats are doubles on both: finite values only.
"""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
SMALLINT = (-(2**15), 2**15 - 1)
DOUBLE = (-sys.float_info.max, sys.float_info.max)


def column_range(column: sa.Column[Any]) -> tuple[float, float] | None:
    """(lowest, highest) value ``column`` holds on both databases; None for non-numeric columns."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return None
    if isinstance(kind, sa.BigInteger):
        return INT64
    if isinstance(kind, sa.SmallInteger):
        return SMALLINT
    if isinstance(kind, sa.Integer):
        return INT32
    if isinstance(kind, sa.Float | sa.Numeric):
        return DOUBLE
    return None


def out_of_range(column: sa.Column[Any], value: Any) -> str | None:
    """Why ``column`` cannot hold the number ``value``, or None when it can."""
    bounds = column_range(column)
    if bounds is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number; got {value}"
    low, high = bounds
    if not low <= value <= high:
        if isinstance(low, float):
            return f"out of range: beyond what a double holds; got {_short(value)}"
        return f"out of range: the database column holds {low:,} to {high:,}; got {_short(value)}"
    return None


def _short(value: float) -> str:
    """A number as people read it; huge integers in scientific notation."""
    return f"{value:,}" if abs(value) < 10**15 else f"{Decimal(value):.4g}"
