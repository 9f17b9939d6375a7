"""Errors raised by the calculator: one base class, each message quoting the bad value."""

from __future__ import annotations


class CalcError(ValueError):
    """Bad input to the calculator (a ``ValueError``, so callers may catch either)."""


class UnknownFitError(CalcError):
    """A coefficient-set name that is neither built in nor saved."""


class BelowFloorError(CalcError):
    """A loss target at or below the law's irreducible loss ``E``: no model reaches it."""


class ConfigError(CalcError):
    """A model ``config.json`` the parameter counter cannot read."""


def require_positive(value: float, *, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise ``CalcError``."""
    number = float(value)
    if not number > 0 or number == float("inf"):
        raise CalcError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def require_non_negative(value: float, *, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise ``CalcError``."""
    number = float(value)
    if not number >= 0 or number == float("inf"):
        raise CalcError(f"{name} must be a finite number >= 0, got {value!r}")
    return number
