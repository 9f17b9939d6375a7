"""Responses cached by the data's revision, with ETags and 304s: an ASGI middleware.

Every public read is a pure function of its URL and the data, so a successful GET is kept, keyed by
the data revision (``registry.store.queries.revision_of``: the seeds' content hash and the newest
probe run) and the URL. The ETag is built from the same two, so every server process gives the same
ETag for the same data, and a client that sends it back gets a 304. A seed load or a recorded probe
run changes the revision and so every key. The revision comes from a ``RevisionWatcher``, which
rereads it in the background at most every quarter second: a cache hit touches no database.

The cache is bounded by bytes (the bodies and headers it holds), not by entries, and the key is
the URL and the response's coding (one of four: ``registry.http.compression``): a successful
answer never depends on ``Accept`` (formats are chosen by path: ``.json``, ``.csv``), so varied
``Accept`` or ``Accept-Encoding`` headers cannot multiply the copies of one answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.http.compression import coding_of
from registry.http.revision_watch import RevisionWatcher
from registry.store.engine import file_identity, sqlite_path

CACHE_CONTROL = b"public, max-age=60"
CACHE_BYTES = 128 * 1024 * 1024  # what the kept answers may hold in all
MAX_CACHED_BODY = 4 * 1024 * 1024  # bytes; bigger answers are served but not kept
ENTRY_OVERHEAD = 512  # bytes counted per entry besides its body and headers (key, tuple, dict slot)

Entry = tuple[list[tuple[bytes, bytes]], bytes]


def entry_size(entry: Entry) -> int:
    headers, body = entry
    return len(body) + sum(len(k) + len(v) for k, v in headers) + ENTRY_OVERHEAD


class ByteBoundCache(LRUCache):  # type: ignore[type-arg]
    """A least-recently-used map of answers holding at most ``max_bytes`` bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        super().__init__(maxsize=max_bytes, getsizeof=entry_size)


def revision_watcher(engine: Engine) -> RevisionWatcher:
    """A watcher of ``engine``'s data revision (and of its SQLite file's identity)."""
    path = sqlite_path(str(engine.url))
    identity = (lambda: file_identity(path)) if path is not None else None
    return RevisionWatcher(revision_reader(engine), identity=identity)


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
        revision: RevisionWatcher,
        prefixes: tuple[str, ...] = ("/",),
        exclude: tuple[str, ...] = (),
        max_bytes: int = CACHE_BYTES,
    ) -> None:
        self.app = app
        self.revision = revision
        self.prefixes = prefixes
        self.exclude = exclude
        self.store = ByteBoundCache(max_bytes)
        self.hits = 0

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path: str = scope["path"]
        return path.startswith(self.prefixes) and not any(part in path for part in self.exclude)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        revision = await self.revision.current()
        if revision is None:
            # No revision to key on (database down or not migrated): serve uncached; a handler
            # that needs the database answers 503 itself.
            await self.app(scope, receive, send)
            return
        etag = etag_for(revision, scope["path"], scope["query_string"])
        key = etag.decode() + coding_of(scope)  # compressed once per coding (http.compression)
        not_modified = _matches(_header(scope, b"if-none-match"), etag)
        cached = self.store.get(key)
        if cached is not None:
            self.hits += 1
            headers, body = cached
            await _reply(send, 304 if not_modified else 200, headers, b"" if not_modified else body)
            return
        status, headers, body = await _capture(self.app, scope, receive, send)
        if status == 200:
            headers = [h for h in headers if h[0] != b"etag"] + [(b"etag", etag)]
            if not any(name == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", CACHE_CONTROL))
            if len(body) <= min(MAX_CACHED_BODY, self.store.maxsize // 4):
                self.store[key] = (headers, body)
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
        headers = [
            h
            for h in headers
            if h[0] not in (b"content-length", b"content-type", b"content-encoding")
        ]
    else:
        headers = [h for h in headers if h[0] != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
