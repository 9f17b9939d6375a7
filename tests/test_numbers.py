"""Numbers and dates as contributors write them."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.models import DatePrecision
from registry.numbers import (
    format_partial_date,
    humanize_count,
    parse_count,
    parse_partial_date,
    parse_positive_float,
)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("46.7B", 46_700_000_000),  # Mixtral 8x7B's total, exactly
        ("12.9B", 12_900_000_000),
        ("1.4T", 1_400_000_000_000),  # Chinchilla's tokens
        ("15.6T", 15_600_000_000_000),
        ("128k", 128_000),
        ("128K", 128_000),
        ("128Ki", 131_072),
        (131072, 131_072),
        ("131072", 131_072),
        ("131,072", 131_072),
        (7.3e9, 7_300_000_000),
        ("7.3e9", 7_300_000_000),
        ("175B", 175_000_000_000),
        ("70M", 70_000_000),
    ],
)
def test_counts_parse_exactly(written: object, value: int) -> None:
    assert parse_count(written) == value


@pytest.mark.parametrize("written", ["46.7X", "B", "", "1.5", "-3", 0, True, "ten", None])
def test_bad_counts_are_refused_quoting_the_value(written: object) -> None:
    with pytest.raises(ValueError) as raised:
        parse_count(written)
    assert repr(written) in str(raised.value)


@pytest.mark.parametrize(
    ("written", "allow_zero", "value"),
    [(0, True, 0), (1, False, 1), (10**31 - 1, False, 10**31 - 1)],
)
def test_integer_counts_at_the_bounds(written: int, allow_zero: bool, value: int) -> None:
    assert parse_count(written, allow_zero=allow_zero) == value


@pytest.mark.parametrize(
    ("written", "allow_zero", "message"),
    [
        (0, False, "expected a count greater than zero; got 0"),
        (-1, True, "expected a count zero or more; got -1"),
        (10**31, True, "expected a number below 1e31"),
        (False, True, "expected a count such as"),
    ],
)
def test_integer_counts_beyond_the_bounds(written: int, allow_zero: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_count(written, allow_zero=allow_zero)


def test_flops_beyond_64_bits() -> None:
    assert parse_positive_float("3.8e25") == pytest.approx(3.8e25)
    assert parse_positive_float(3.14e23) == pytest.approx(3.14e23)


@pytest.mark.parametrize(
    ("written", "date", "precision"),
    [
        (dt.date(2024, 7, 23), dt.date(2024, 7, 23), DatePrecision.DAY),
        ("2024-07-23", dt.date(2024, 7, 23), DatePrecision.DAY),
        ("2024-07", dt.date(2024, 7, 1), DatePrecision.MONTH),
        ("2023", dt.date(2023, 1, 1), DatePrecision.YEAR),
        (2023, dt.date(2023, 1, 1), DatePrecision.YEAR),
    ],
)
def test_partial_dates_keep_their_precision(
    written: object, date: dt.date, precision: DatePrecision
) -> None:
    assert parse_partial_date(written) == (date, precision)
    assert format_partial_date(date, precision) == str(
        written if not isinstance(written, dt.date) else written.isoformat()
    )


@pytest.mark.parametrize("written", ["2024-13", "2024-02-30", "July 2024", "24-07-01"])
def test_bad_dates_are_refused(written: str) -> None:
    with pytest.raises(ValueError, match="expected a date"):
        parse_partial_date(written)


def test_humanize() -> None:
    assert humanize_count(46_700_000_000) == "46.7B"
    assert humanize_count(1.4e12) == "1.4T"
    assert humanize_count(None) == "—"
