"""Which database errors are outages and which are the request's fault (docs/RELIABILITY.md).

Only a database that cannot be reached is "unavailable, retry" (503 with Retry-After). A value the
database refuses (out of range, a NUL byte, a broken constraint) is the request's fault (422) and
retrying cannot help; a full disk is said to be one (507 Insufficient Storage) so that an operator
sees it, not a retry loop.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass, field

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from registry.store.engine import DatabaseFileGone

SQLITE_FULL = 13  # "database or disk is full"
POSTGRES_DISK_FULL = "53100"
POSTGRES_DATA_CLASSES = ("22", "23")  # data exception, integrity constraint violation
UNAVAILABLE = "the database is unavailable right now; retry shortly"
DISK_FULL = (
    "the server's disk is full: nothing was written; free space on the database's disk "
    "and send it again"
)


@dataclass(frozen=True)
class Answer:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def database_answer(exc: DBAPIError) -> Answer:
    """The answer a database error deserves."""
    orig = exc.orig
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    if isinstance(orig, DatabaseFileGone):
        return Answer(503, str(orig), {"Retry-After": "5"})
    if is_disk_full(orig) or sqlstate == POSTGRES_DISK_FULL:
        return Answer(507, DISK_FULL)
    if isinstance(exc, DataError | IntegrityError) or sqlstate[:2] in POSTGRES_DATA_CLASSES:
        reason = str(orig).strip().splitlines()[0][:200] if orig else "a value it cannot hold"
        return Answer(422, f"the database refused a value in the request: {reason}")
    return Answer(503, UNAVAILABLE, {"Retry-After": "5"})


def is_disk_full(error: BaseException | None) -> bool:
    """An SQLite 'database or disk is full' error, or an OS 'no space left on device'."""
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == SQLITE_FULL or "is full" in str(error)
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
