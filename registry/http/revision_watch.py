"""The data revision as each server process knows it, refreshed in the background.

The response cache keys answers by the data revision. Reading it on every request made each cache
hit a database read, and under a burst that read queued for a pooled connection on the event
loop (docs/RELIABILITY.md, the 200-connection wedge). Instead each process keeps the revision it
last read and rereads it at most every ``interval_s`` seconds, in a worker thread of its own and
without holding up any request: a seed load or a probe run recorded by any process (another
server, ``registry seed``) is seen within ``interval_s`` plus one read. The read is two indexed
single-row selects (``registry.store.queries.revision_of``), a few hundred a minute per process
whichever the database; PostgreSQL's LISTEN/NOTIFY would save them at the cost of a dedicated,
reconnecting connection per process, and SQLite has no equivalent across processes.

A write made by this process (``registry.store.changes``) and, for SQLite, a database file removed
or replaced (one ``stat``, no database read) make the next request reread it first.

Only the first request of a process waits for a read. While the database cannot be read the
revision is unknown (None) and answers are served uncached, as they are computed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import anyio.to_thread
import sqlalchemy as sa

from registry.store import changes

INTERVAL_S = 0.25


class RevisionWatcher:
    """The current revision from ``read``, reread at most every ``interval_s`` seconds."""

    def __init__(
        self,
        read: Callable[[], str],
        *,
        interval_s: float = INTERVAL_S,
        identity: Callable[[], object] | None = None,
    ) -> None:
        self.read = read
        self.identity = identity
        self._identity = identity() if identity is not None else None
        self.interval_s = interval_s
        self.value: str | None = None
        self.reads = 0
        self._checked = float("-inf")
        self._refreshing = False
        self._lock = threading.Lock()
        self._generation = changes.generation

    async def current(self) -> str | None:
        """The revision to key answers by: the last one read, refreshed in the background
        (at once, before answering, after a write by this process)."""
        moved = self.identity is not None and self.identity() != self._identity
        if moved or self._generation != changes.generation:
            self._generation = changes.generation
            if self.identity is not None:
                self._identity = self.identity()
            await anyio.to_thread.run_sync(self.refresh, True)
            return self.value
        stale = time.monotonic() - self._checked >= self.interval_s
        if self.value is None:
            if stale:  # nothing to go by yet: wait for one read (in a worker thread)
                await anyio.to_thread.run_sync(self.refresh)
        elif stale and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self.refresh, name="revision-watch", daemon=True).start()
        return self.value

    def refresh(self, force: bool = False) -> None:
        """Read the revision now unless another thread just did (blocking: call from a thread)."""
        try:
            with self._lock:
                if not force and time.monotonic() - self._checked < self.interval_s:
                    return
                try:
                    value: str | None = self.read()
                except (sa.exc.DBAPIError, sa.exc.TimeoutError):
                    value = None  # unreadable: answers go uncached until it is back
                self.value, self._checked = value, time.monotonic()
                self.reads += 1
        finally:
            self._refreshing = False
