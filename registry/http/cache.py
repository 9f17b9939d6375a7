"""Responses cached by the data's revision, with ETags and 304s: an ASGI middleware.

Every public read is a pure function of its URL and the data, so a successful GET is kept, keyed by
the data revision (``registry.store.queries.revision_of``: the seeds' content hash and the newest
probe run) and the URL. The ETag is built from the same two, so every server process gives the same
ETag for the same data, and a client that sends it back gets a 304. A seed load or a recorded probe
run changes the revision and so every key: nothing stale is served, and no process needs telling.
Only the revision lookup, two indexed single-row reads, runs on a cache hit."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_CONTROL = b"public, max-age=60"
CACHE_ENTRIES = 4096
MAX_CACHED_BODY = 4 * 1024 * 1024  # bytes; bigger answers are served but not kept
REVISION_THREADS = 8


class LRU:
    """A bounded, thread-safe least-recently-used map."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def revision_reader(engine: Engine) -> Callable[[], str]:
    """A function returning the current data revision (``registry.store.queries.revision_of``)."""
    from registry.store.queries import revision_of

    def read() -> str:
        with engine.connect() as connection:
            return revision_of(connection)

    return read


def etag_for(revision: str, path: str, query: bytes) -> bytes:
    digest = hashlib.sha256(path.encode() + b"?" + query).hexdigest()[:16]
    return f'W/"{revision}-{digest}"'.encode()


class RevisionCache:
    """Cache successful GET responses under ``prefixes`` by data revision and URL (HEAD and
    writes pass through)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        revision: Callable[[], str],
        prefixes: tuple[str, ...] = ("/",),
        exclude: tuple[str, ...] = (),
        store: LRU | None = None,
        in_process: bool = False,
    ) -> None:
        self.app = app
        self.revision = revision
        self.prefixes = prefixes
        self.exclude = exclude
        self.store = store or LRU()
        self.in_process = in_process
        self._threads: anyio.CapacityLimiter | None = None

    async def _read_revision(self) -> str:
        if self.in_process:
            # An in-process SQLite read in WAL mode never waits for a writer: no thread hop.
            return self.revision()
        # A database across the network may be slow: read in a thread of a pool of its own, so
        # the event loop never stalls and cache hits never queue behind the handlers' threads.
        if self._threads is None:  # made inside the event loop, on first use
            self._threads = anyio.CapacityLimiter(REVISION_THREADS)
        return await anyio.to_thread.run_sync(self.revision, limiter=self._threads)

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path: str = scope["path"]
        return path.startswith(self.prefixes) and not any(part in path for part in self.exclude)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        try:
            revision = await self._read_revision()
        except sa.exc.DBAPIError:
            # No revision to key on (database down or not migrated): serve uncached; a handler
            # that needs the database answers 503 itself.
            await self.app(scope, receive, send)
            return
        etag = etag_for(revision, scope["path"], scope["query_string"])
        key = etag.decode() + "|" + _header(scope, b"accept").decode("latin-1")
        not_modified = _matches(_header(scope, b"if-none-match"), etag)
        cached = self.store.get(key)
        if cached is not None:
            headers, body = cached
            await _reply(send, 304 if not_modified else 200, headers, b"" if not_modified else body)
            return
        status, headers, body = await _capture(self.app, scope, receive, send)
        if status == 200:
            headers = [h for h in headers if h[0] != b"etag"] + [(b"etag", etag)]
            if not any(name == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", CACHE_CONTROL))
            if len(body) <= MAX_CACHED_BODY:
                self.store.put(key, (headers, body))
            if not_modified:
                await _reply(send, 304, headers, b"")
                return
        await _reply(send, status, headers, body)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def _matches(header: bytes, etag: bytes) -> bool:
    return any(tag.strip() in (etag, b"*") for tag in header.split(b",")) if header else False


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> tuple[int, list[Any], bytes]:
    """Run ``app`` and collect its whole response."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        elif message["type"] == "http.response.debug":
            await send(message)  # the test client's view of the template and its context

    await app(scope, receive, collect)
    return start["status"], list(start.get("headers", [])), b"".join(chunks)


async def _reply(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    if status == 304:
        headers = [h for h in headers if h[0] not in (b"content-length", b"content-type")]
    else:
        headers = [h for h in headers if h[0] != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
