"""Numbers and dates as people write them in seeds.

Counts accept a plain integer (``131072``), scientific notation (``7.3e9``) or a decimal SI suffix:
``k`` = 10^3, ``M`` = 10^6, ``B`` = 10^9, ``T`` = 10^12 (``46.7B``, ``1.4T``,
``128k`` = 128,000). The binary suffix ``Ki`` (1,024) writes a power-of-two context exactly:
``128Ki`` = 131,072. Values are parsed with decimals, so ``46.7B`` is exactly 46,700,000,000.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from registry.models import DatePrecision

UNDISCLOSED = "undisclosed"

_SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12, "Ki": 1024}
_NUMBER = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*(Ki|[kKMBT]?)\s*$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")

COUNT_HINT = "a count such as 46.7B, 1.4T, 128k, 128Ki, 131072 or 7.3e9"
MAX_QUOTED = 200  # characters of a bad value echoed in a message (docs/RELIABILITY.md)
MAX_EXPONENT = 30  # a count or quantity written as 1e31 or more is refused before it is expanded
_MAX_COUNT = 10 ** (MAX_EXPONENT + 1)


def quote(value: Any) -> str:
    """``value`` as a message quotes it: text cut at ``MAX_QUOTED`` characters, collections
    named by kind and size, so that no message ever echoes an unbounded input."""
    if isinstance(value, str):
        if len(value) <= MAX_QUOTED:
            return repr(value)
        return f"{value[:MAX_QUOTED]!r}… ({len(value):,} characters)"
    if isinstance(value, bool | float | None | dt.date):
        return repr(value)
    if isinstance(value, int):
        text = (
            str(value) if value.bit_length() < 600 else f"an integer of {value.bit_length()} bits"
        )
        return text if len(text) <= MAX_QUOTED else f"{text[:MAX_QUOTED]}… ({len(text)} digits)"
    if isinstance(value, dict | list | tuple | set):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    return f"a {type(value).__name__}"


def parse_decimal(value: Any) -> Decimal:
    """A number as written (int, float or suffixed string) as an exact Decimal."""
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        match = _NUMBER.match(value) if len(value) <= MAX_QUOTED else None
        if match:
            digits, suffix = match.groups()
            try:
                number = Decimal(digits.replace("_", "").replace(",", "")) * _SUFFIXES[suffix]
            except InvalidOperation:
                number = None
    if number is None:
        raise ValueError(f"expected {COUNT_HINT}; got {quote(value)}")
    if not number.is_finite():
        raise ValueError(f"expected a finite number; got {quote(value)}")
    if number and number.adjusted() > MAX_EXPONENT:
        raise ValueError(f"expected a number below 1e{MAX_EXPONENT + 1}; got {quote(value)}")
    return number


def parse_count(value: Any, *, allow_zero: bool = False) -> int:
    """A whole, positive (or, with ``allow_zero``, non-negative) count."""
    if type(value) is int and (0 if allow_zero else 1) <= value < _MAX_COUNT:
        return value  # the common case, checked without building a Decimal
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"expected a whole number; got {quote(value)} = {number:.6g}")
    count = int(number)
    if count < 0 or (count == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise ValueError(f"expected a count {bound}; got {quote(value)}")
    return count


def parse_positive_float(value: Any) -> float:
    """A positive quantity that may exceed 64-bit integers (training FLOPs: 3.8e25)."""
    number = parse_decimal(value)
    if number <= 0:
        raise ValueError(f"expected a number greater than zero; got {quote(value)}")
    if float(number) == 0.0:  # 1e-400 would be stored as 0
        raise ValueError(f"expected a number a double holds above zero; got {quote(value)}")
    return float(number)


def parse_partial_date(value: Any) -> tuple[dt.date, DatePrecision]:
    """An ISO date, ``YYYY-MM`` or ``YYYY`` as (first day of the period, its precision)."""
    if isinstance(value, dt.datetime):
        return value.date(), DatePrecision.DAY
    if isinstance(value, dt.date):
        return value, DatePrecision.DAY
    text = str(value) if isinstance(value, int) else value
    match = _DATE.match(text) if isinstance(text, str) else None
    if match:
        year, month, day = match.groups()
        try:
            date = dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            pass
        else:
            precision = (
                DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
            )
            return date, precision
    raise ValueError(f"expected a date as YYYY-MM-DD, YYYY-MM or YYYY; got {quote(value)}")


def format_partial_date(date: dt.date | None, precision: DatePrecision | None) -> str | None:
    """The date as it was written: to the day, the month or the year."""
    if date is None:
        return None
    if precision == DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def humanize_count(value: float | None) -> str:
    """``46700000000`` → ``46.7B``: the short form people read."""
    if value is None:
        return "—"
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"
