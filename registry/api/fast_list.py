"""``GET /api/v1/models`` answered before FastAPI's routing: the busiest read, kept short.

An uncached page of the model list is stored JSON documents put together
(``views.model_table_json``) and costs under a millisecond of database work; FastAPI's
routing, dependency solving and response machinery around it cost more than the work itself.
This middleware answers the plain case directly: a GET of ``/api/v1/models`` whose query parses
as ``PinnedModelFilters`` and names no revision. Anything else, a request that fails validation
or a database error included, goes on to the FastAPI route, which gives the same answer for the
same query and writes every error (docs/PERFORMANCE.md;
``tests/http/test_traffic.py`` compares both byte for byte).

A page whose documents this process has already read, at the revision it last read
(``http.revision_watch``), is put together from memory (``DocumentMemo``, bounded by
``REGISTRY_DOCUMENT_MEMORY_BYTES``), without the database, whichever the database. Otherwise,
once this process's filter index is built, a page is one statement (``views.
model_table_json_in_one_read``). On SQLite that local read runs on the event loop itself, with
no busy wait: handing a few hundred microseconds of work to a worker thread cost more than the
work, because the loop then waits for the thread's GIL (1,200 against 1,700 requests a second).
On PostgreSQL, a network read, it goes through psycopg's asyncio driver under ``registry
serve`` (``main.create_served_app``: an asyncio pool must live as long as its event loop, which a
test client's per-request loops do not), else a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.http.revision import PinnedModelFilters
from registry.services import views
from registry.store.documents import DocumentMemo
from registry.store.engine import SQLITE_BUSY_TIMEOUT_MS

PATH = "/api/v1/models"
HEADERS = [(b"content-type", b"application/json")]
LIST_FIELDS = frozenset(
    name
    for name, field in PinnedModelFilters.model_fields.items()
    if "list" in str(field.annotation)
)


def filters_of(query_string: bytes) -> PinnedModelFilters | None:
    """The filters of a query string, or None where FastAPI should answer (an invalid value, an
    unknown parameter, a NUL, a pinned revision)."""
    if b"%00" in query_string or b"\x00" in query_string:
        return None
    params = QueryParams(query_string)
    values = {
        name: params.getlist(name) if name in LIST_FIELDS else params.getlist(name)[-1]
        for name in params
    }
    try:
        filters = PinnedModelFilters.model_validate(values)
    except ValidationError:
        return None
    return None if filters.revision is not None else filters


class FastModelList:
    """Answer plain ``GET /api/v1/models`` requests without FastAPI's routing."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Callable[[], Engine],
        autocommit: Callable[[], Engine] | None = None,
        async_engine: Callable[[], Any] | None = None,
        revision: Callable[[], str | None] | None = None,
        memory_bytes: int = 0,
    ) -> None:
        self.app = app
        self.engine = engine
        self.autocommit = autocommit
        self.async_engine = async_engine
        self.revision = revision
        self.memo = DocumentMemo(memory_bytes)
        self.enabled = True  # the tests turn it off to compare with the route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.enabled
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"] == PATH
        ):
            filters = filters_of(scope["query_string"])
            if filters is not None:
                body = (
                    self._from_memory(filters)
                    or self._read_inline(filters)
                    or await self._read_async(filters)
                )
                if body is None:
                    try:
                        body = await run_in_threadpool(self._read, filters)
                    except Exception:
                        body = None
                if body is not None:
                    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def _from_memory(self, filters: PinnedModelFilters) -> bytes | None:
        """The page from this process's index and the documents it has already read, when both
        are of the revision the server last read (``revision``): no database at all."""
        if self.revision is None or self.autocommit is None or self.memo.max_bytes <= 0:
            return None
        return views.model_table_json_from_memory(
            self.autocommit(), filters, revision=self.revision(), memo=self.memo
        )

    def _read_inline(self, filters: PinnedModelFilters) -> bytes | None:
        """On SQLite, the one-statement read on the event loop itself: a local read of a few
        hundred microseconds costs less than handing it to a worker thread, whose GIL the loop
        then waits for. Only with the index built, and never waiting on a lock (None: the
        worker thread takes it)."""
        if self.autocommit is None:
            return None
        engine = self.autocommit()
        if engine.dialect.name != "sqlite":
            return None
        pool = engine.pool
        size = getattr(pool, "size", None)
        if size is not None and pool.checkedout() >= size():  # type: ignore[attr-defined]
            return None  # no idle connection: never wait for one on the event loop
        try:
            with engine.connect() as connection:
                sqlite = connection.connection.driver_connection
                sqlite.execute("PRAGMA busy_timeout=0")  # a lock: fail now, not in 15 s
                try:
                    return views.model_table_json_in_one_read(connection, filters, self.memo)
                finally:
                    sqlite.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        except Exception:
            return None

    async def _read_async(self, filters: PinnedModelFilters) -> bytes | None:
        """On PostgreSQL under ``registry serve``, the one-statement read through psycopg's
        asyncio driver: a network round trip without a worker thread. None: the worker-thread
        path answers."""
        engine = self.async_engine() if self.async_engine is not None else None
        if engine is None or self.autocommit is None:
            return None
        try:
            async with engine.connect() as connection:
                return await views.model_table_json_in_one_read_async(
                    self.autocommit(), connection, filters, self.memo
                )
        except Exception:
            return None

    def _read(self, filters: PinnedModelFilters) -> bytes:
        if self.autocommit is not None:
            # One statement, no transaction: the usual case once the index is built.
            with self.autocommit().connect() as connection:
                body = views.model_table_json_in_one_read(connection, filters, self.memo)
            if body is not None:
                return body
        with Session(self.engine()) as session:
            return views.model_table_json(session, filters)
