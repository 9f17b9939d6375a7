"""Engine factory and sessions.

SQLite is opened with foreign keys enforced, write-ahead logging (readers never block the
writer) and a busy timeout, so that a seed load and readers can run at once. SQLAlchemy, not the
sqlite3 module, decides where transactions begin, so a read transaction sees one snapshot from its
first query to its last; on PostgreSQL, reads run at REPEATABLE READ for the same reason. A reader
then sees the data before a seed load or after it, never a mix.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from registry.config import get_settings
from registry.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created, pragmas are set and the
    file's identity is watched (``_watch_file``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        if path is not None:
            _watch_file(engine, path)
        return engine
    # Each server worker runs handlers on up to 40 threads; 20 connections serve them without
    # exhausting PostgreSQL's default 100 connections at four workers.
    # No ping before each checkout (a round trip per request): a connection broken by a restart
    # fails its statement, SQLAlchemy then drops every pooled connection, and the next request
    # connects afresh (tests/store/test_faults.py, the restart test).
    return sa.create_engine(url, pool_size=10, max_overflow=10)


class DatabaseFileGone(sqlite3.OperationalError):
    """The SQLite file was removed under a running server (a DBAPI error: SQLAlchemy wraps it)."""


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _watch_file(engine: Engine, path: Path) -> None:
    """Follow the SQLite file if it is replaced while connections are open, never a deleted one.

    Each connection remembers the identity (device, inode) of the file it opened. On every
    checkout the file's identity is compared: a connection to a file that was removed or replaced
    (``rm`` then ``registry db upgrade && registry seed``) is dropped and a new one opens the
    file now at the path, so no answer comes from the old data and no write goes into a deleted
    file. Once the file was opened, a missing file is never created afresh: every request fails
    with a message that says so (docs/RELIABILITY.md).
    """
    opened: dict[str, tuple[int, int] | None] = {"identity": None}

    def before_connect(*_: Any) -> None:
        if opened["identity"] is not None and file_identity(path) is None:
            raise DatabaseFileGone(
                f"the database file {path} was removed while the server was running: restore "
                "it, or create it with `registry db upgrade` and `registry seed`"
            )

    def connected(_dbapi: Any, record: Any) -> None:
        record.info["file_identity"] = opened["identity"] = file_identity(path)

    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        if file_identity(path) != record.info.get("file_identity"):
            raise sa.exc.DisconnectionError(f"the database file {path} was replaced")

    sa.event.listen(engine, "do_connect", before_connect)
    sa.event.listen(engine, "connect", connected)
    sa.event.listen(engine, "checkout", checkout)


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def async_reader(engine: Engine) -> Any:
    """An asyncio engine on ``engine``'s PostgreSQL database for one-statement reads outside a
    transaction (psycopg's asyncio driver; None for other databases or drivers). It connects on
    the first read; every such read is checked against the loaded revision, so a database it
    reaches differently only makes reads fall back to the worker-thread path."""
    if engine.dialect.name != "postgresql" or engine.url.get_driver_name() != "psycopg":
        return None
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine(
        engine.url, pool_size=10, max_overflow=10, isolation_level="AUTOCOMMIT"
    )


def snapshot_engine(engine: Engine) -> Engine:
    """``engine`` with reads that see one snapshot per transaction (REPEATABLE READ on PostgreSQL;
    SQLite's WAL transactions already do)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL names (``file:`` URIs included); None for memory or other servers."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    assert database is not None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def check_database_file(url: str) -> None:
    """Raise DatabaseError when an SQLite URL names a missing file (instead of creating it)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseError(
            f"the database file {path} does not exist: create it with "
            "`registry db upgrade` and load the seeds with `registry seed`"
        )


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return create_db_engine(get_settings().resolved_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session on ``engine`` (default: the configured one), closed on exit."""
    with Session(engine or get_engine()) as session:
        yield session


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _check_writable(engine: Engine) -> None:
    # A write that is rolled back: it fails at once on a read-only file or mount.
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        assert isinstance(sqlite, sqlite3.Connection)
        try:
            version = sqlite.execute("PRAGMA user_version").fetchone()[0]
            sqlite.execute("BEGIN IMMEDIATE")
            try:
                sqlite.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                sqlite.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
    finally:
        raw.close()


def check_connection(engine: Engine) -> None:
    """Raise DatabaseError with a clear message when the database cannot be reached or, for
    SQLite, cannot be written (the server records probe runs)."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        if engine.dialect.name == "sqlite":
            _check_writable(engine)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"cannot open the database {describe_url(str(engine.url))}: {reason}"
        ) from exc
