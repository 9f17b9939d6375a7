"""Domain errors: each carries the HTTP status it maps to; one server handler renders them."""

from __future__ import annotations


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
