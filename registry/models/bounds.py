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


def check_value(column: sa.Column[Any], value: Any, *, negative: bool = False) -> Any:
    """``value`` unchanged when ``column`` can hold it, else ValueError saying why: no booleans
    for numbers, finite numbers within the column's range (not below zero unless ``negative``),
    no NUL characters in text, and the same inside JSON documents."""
    bounds = column_range(column)
    if bounds is not None:
        if isinstance(value, bool):
            raise ValueError(f"expected a number; got {str(value).lower()}")
        if isinstance(value, int | float):
            if (message := out_of_range(column, value)) is not None:
                raise ValueError(message)
            if value < 0 and not negative:
                raise ValueError(f"expected zero or more; got {_short(value)}")
    _check_document(value)
    return value


def _check_document(value: Any, depth: int = 0) -> None:
    """Numbers and text inside a JSON value: both databases must store it as it is."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not hold NUL characters (\\u0000)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected finite numbers; got {value}")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"a number beyond 64 bits: {_short(value)}")
    elif isinstance(value, dict | list):
        if depth > 32:
            raise ValueError("nested more than 32 levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _check_document(key, depth + 1)
            _check_document(item, depth + 1)
