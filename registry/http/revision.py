"""``?revision=REV``: a session on the data as it was at a revision, and the long cache lifetime
such an answer may carry, since it never changes (docs/HISTORY.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import Field
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.services import revisions
from registry.store.filters import ModelFilters

PINNED_CACHE_CONTROL = b"public, max-age=31536000, immutable"
STATE_KEY = "pinned_revision"
REVISION_PATTERN = r"^[0-9A-Za-z._-]+$"
REVISION_HELP = (
    "Answer from this revision's data (a revision or a git commit of GET /api/v1/revisions); "
    "default: the current data."
)


class PinnedModelFilters(ModelFilters):
    """The model filters plus the revision to read them at."""

    revision: str | None = Field(
        default=None, max_length=64, pattern=REVISION_PATTERN, description=REVISION_HELP
    )


def get_pinned_session(
    request: Request,
    revision: Annotated[
        str | None, Query(max_length=64, pattern=REVISION_PATTERN, description=REVISION_HELP)
    ] = None,
) -> Iterator[Session]:
    """A session on the current data, or on revision ``revision``'s (404 naming it if unknown)."""
    with pinned_session(request, revision) as session:
        yield session


@dataclass(frozen=True)
class FilteredRead:
    """A session at the revision the filters name, and the filters (parsed once)."""

    session: Session
    filters: PinnedModelFilters


def get_filtered_read(
    request: Request, filters: Annotated[PinnedModelFilters, Query()]
) -> Iterator[FilteredRead]:
    """As ``get_pinned_session``, for routes whose filters hold the revision."""
    with pinned_session(request, filters.revision) as session:
        yield FilteredRead(session, filters)


@contextmanager
def pinned_session(request: Request, revision: str | None) -> Iterator[Session]:
    """A session on the current data, or on ``revision``'s (404 naming it if unknown)."""
    with Session(request.app.state.read_engine) as session:
        if revision is None:
            yield session
            return
        engine, content_hash = revision_databases(request.app).pinned_engine(session, revision)
    request.state.pinned_revision = content_hash
    with Session(engine) as pinned:
        yield pinned


def revision_databases(app: Any) -> revisions.RevisionDatabases:
    """The application's databases of earlier revisions (made on first use)."""
    found = getattr(app.state, "revision_databases", None)
    if found is None:
        found = app.state.revision_databases = revisions.RevisionDatabases()
    return found


PinnedSessionDep = Annotated[Session, Depends(get_pinned_session)]
FilteredReadDep = Annotated[FilteredRead, Depends(get_filtered_read)]


class PinnedCacheControl:
    """Give a successful answer read at a pinned revision a year-long, immutable Cache-Control
    (it sits inside the revision cache, which keeps the header with the body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and message["status"] == 200
                and scope.get("state", {}).get(STATE_KEY)
            ):
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                message = {
                    **message,
                    "headers": [*headers, (b"cache-control", PINNED_CACHE_CONTROL)],
                }
            await send(message)

        await self.app(scope, receive, send_wrapper)
