"""Domain errors: each carries the HTTP status it maps to; one server handler renders them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pydantic import ValidationError


class RegistryError(Exception):
    """Base class of the registry's own errors."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(RegistryError):
    status_code = 404


class BadInput(RegistryError):
    status_code = 422


class DatabaseError(RegistryError):
    """The database is missing, unreachable or not migrated."""

    status_code = 503


class SeedError(RegistryError):
    """The seed tree does not validate; ``problems`` lists every problem found."""

    status_code = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the seeds")
        self.problems = problems


def validation_messages(
    error: ValidationError, *, name: Callable[[str], str] = str, fields: Iterable[str] = ()
) -> list[str]:
    """One line per problem: the field (as ``name`` spells it for this face: a query parameter, a
    form field, ``--an-option``), what was expected, and the value found. A problem of the whole
    input names its ``fields`` in its message, spelt the same way."""
    spelt = re.compile(r"\b(" + "|".join(map(re.escape, fields)) + r")\b") if fields else None
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if spelt is not None and not where:
            message = spelt.sub(lambda match: name(match.group(1)), message)
        quoted = where and problem["type"] != "missing" and "got " not in message
        found = f" (got {problem['input']!r})" if quoted else ""
        lines.append(f"{name(where) + ': ' if where else ''}{message}{found}")
    return lines
