"""Reading the data as it was at a revision (``?revision=REV``, docs/HISTORY.md).

Each revision's records are stored compressed (``revision_snapshot``). Asked for an earlier
revision, the server loads those records into a database file of its own, with the same loader
and schema as the live one, so every read (filters, detail, compare, pages) runs the very same
queries and gives the same answer it gave when that revision was current. A few such databases
are kept per application; the change log up to the revision is copied in, so its history reads
as it was.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from registry.errors import NotFound
from registry.seeds.history import decode_records
from registry.seeds.load import load_records
from registry.store import history as store
from registry.store.engine import create_db_engine

KEPT = 4  # revision databases kept per application (least recently used go first)


def resolve(session: Session, ref: str) -> tuple[str, int]:
    """The content hash and row id of the revision ``ref`` names; NotFound names it otherwise."""
    row = store.find_revision(session, ref=ref)
    if row is None:
        raise NotFound(
            f"no revision {ref!r}: give a revision or a commit listed by GET /api/v1/revisions"
        )
    return row.revision, row.id


class RevisionDatabases:
    """The databases of earlier revisions one application has built, by revision."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self.builds = 0  # how many were built (the tests read it)
        self._lock = threading.Lock()
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._folder: Path | None = None

    def pinned_engine(self, session: Session, ref: str) -> tuple[Engine, str]:
        """An engine on the data as it was at revision ``ref`` (read through ``session``), and
        the revision's content hash."""
        revision, revision_id = resolve(session, ref)
        key = f"{revision}-{revision_id}"
        with self._lock:
            engine = self._engines.get(key)
            if engine is not None:
                self._engines.move_to_end(key)
                return engine, revision
            data = store.snapshot_of(session, revision=revision)
            if data is None:
                raise NotFound(f"revision {ref!r} has no stored snapshot")
            engine = self._build(session, key, bytes(data), revision_id)
            self._engines[key] = engine
            while len(self._engines) > self.kept:
                _, old = self._engines.popitem(last=False)
                _drop(old)
        return engine, revision

    def _build(self, session: Session, key: str, data: bytes, revision_id: int) -> Engine:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="registry-revisions-"))
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        engine = create_db_engine(f"sqlite:///{self._folder / key}.sqlite3")
        try:
            SQLModel.metadata.create_all(engine)
            load_records(engine, decode_records(data), history=False)
            revisions, changes = store.history_until(session, revision_id=revision_id)
            with engine.begin() as connection:
                store.copy_history(connection, revisions, changes)
        except BaseException:
            _drop(engine)
            raise
        self.builds += 1
        return engine


def _drop(engine: Engine) -> None:
    engine.dispose()
    database = engine.url.database
    if database:
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
