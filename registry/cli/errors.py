"""The CLI's one error handler: bad input and domain errors print one line and exit with status 2.

Every command is registered through ``reports_errors`` (``registry.cli.app``), and the console
entry point catches the same errors, so no command ever shows a traceback for a user's mistake.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from registry.calc import CalcError
from registry.errors import RegistryError, validation_messages
from registry.services import calc_inputs

P = ParamSpec("P")
R = TypeVar("R")
EXIT_BAD_INPUT = 2
HANDLED = (RegistryError, CalcError, ValidationError, OSError, json.JSONDecodeError)


def option_name(field: str) -> str:
    """A field of an input model as an option: ``inference_tokens`` -> ``--inference-tokens``."""
    return "--" + field.replace("_", "-")


def describe(error: BaseException) -> str:
    """The one line a user reads for ``error``."""
    if isinstance(error, ValidationError):
        model = getattr(calc_inputs, error.title, None)
        fields = list(getattr(model, "model_fields", ()))
        return "; ".join(validation_messages(error, name=option_name, fields=fields))
    if isinstance(error, RegistryError):
        return error.message
    return str(error)


def fail(error: BaseException) -> typer.Exit:
    """Print ``error`` as one line on stderr; the caller raises the returned Exit."""
    print(f"error: {describe(error)}", file=sys.stderr)
    return typer.Exit(code=EXIT_BAD_INPUT)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """``command``, with the handled errors turned into one line and exit status 2."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HANDLED as error:
            raise fail(error) from None

    return wrapper
