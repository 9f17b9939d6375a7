"""Conditional, cached JSON responses keyed by the data's revision.

A read's ETag is derived from the revision of the loaded seeds and the request's path and query, so
every server process answers the same ETag for the same data, and a client holding it gets a 304.
Rendered bodies are kept in a small per-process LRU keyed the same way: a new seed load changes the
revision, and with it every key, so nothing stale is ever served.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from fastapi import Request, Response
from pydantic_core import to_json
from sqlmodel import Session

from registry import queries

CACHE_CONTROL = "public, max-age=60"
CACHE_ENTRIES = 2048


class ResponseCache:
    """A bounded, thread-safe LRU of rendered bodies."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._data.get(key)
            if body is not None:
                self._data.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._data[key] = body
            self._data.move_to_end(key)
            while len(self._data) > self._entries:
                self._data.popitem(last=False)


def etag_for(revision: str, request: Request) -> str:
    digest = hashlib.sha256(f"{request.url.path}?{request.url.query}".encode()).hexdigest()[:16]
    return f'W/"{revision}-{digest}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    return any(tag.strip() in (etag, "*") for tag in header.split(","))


def cached_json(
    request: Request,
    session: Session,
    build: Callable[[], Any],
    *,
    media_type: str = "application/json",
    render: Callable[[Any], bytes] = to_json,
) -> Response:
    """The body ``build()`` returns, rendered once per data revision, with ETag and 304 support."""
    revision = queries.data_revision(session)
    etag = etag_for(revision, request)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    cache: ResponseCache = request.app.state.response_cache
    key = f"{etag}|{media_type}"
    body = cache.get(key)
    if body is None:
        body = render(build())
        cache.put(key, body)
    return Response(content=body, media_type=media_type, headers=headers)
