"""The change log as pages and a feed, and badges: ``/changes``, ``/changes.atom`` and
``/badges/{slug}.svg`` call the same service functions as ``/api/v1/changes`` (docs/HISTORY.md)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from registry.errors import NotFound
from registry.http.deps import SessionDep
from registry.http.revision import PinnedSessionDep
from registry.services import badges, history
from registry.store.history import ChangeFilters
from registry.web.forms import given
from registry.web.rendering import page, with_query

router = APIRouter(include_in_schema=False)
BADGE_CACHE_CONTROL = "public, max-age=300"


def _filters(request: Request) -> tuple[ChangeFilters, list[str]]:
    """The form's non-blank filters, or none and the messages of those that are invalid."""
    values = given(request.query_params, ChangeFilters)
    try:
        return ChangeFilters(**values), []
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return ChangeFilters(), problems


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Changes grouped by revision, newest first, with links to the models."""
    filters, errors = _filters(request)
    query = urlencode(filters.model_dump(exclude_defaults=True, mode="json"))

    def build() -> dict[str, Any]:
        result = history.changes(session, filters)
        after = filters.offset + filters.limit
        pages = {
            "previous": _query(filters, max(filters.offset - filters.limit, 0))
            if filters.offset
            else None,
            "next": _query(filters, after) if after < result["count"] else None,
        }
        return {
            "groups": history.grouped(result["data"]),
            "count": result["count"],
            "filters": filters,
            "errors": errors,
            "pages": pages,
            "describe": history.describe,
            "atom_url": with_query("/changes.atom", query),
        }

    return page(
        request,
        "changes.html",
        build,
        json_url=with_query("/api/v1/changes", query),
        status_code=422 if errors else 200,
    )


def _query(filters: ChangeFilters, offset: int) -> str:
    return urlencode(
        filters.model_copy(update={"offset": offset}).model_dump(exclude_defaults=True, mode="json")
    )


@router.get("/changes.atom")
def changes_feed(
    request: Request, session: SessionDep, filters: Annotated[ChangeFilters, Query()]
) -> Response:
    """An Atom feed of the changes (same filters as /api/v1/changes), one entry per revision."""
    base = str(request.base_url).rstrip("/")
    body = history.atom_feed(session, filters, base_url=base, self_url=str(request.url))
    return Response(body, media_type="application/atom+xml")


@router.get("/badges/{slug}.svg")
def badge(
    session: PinnedSessionDep,
    slug: Annotated[str, Path(max_length=96)],
    field: Annotated[badges.BadgeField, Query()] = "tokens_per_param",
) -> Response:
    """A model's number as an SVG badge; an unknown model gets a grey 'no model' badge (404)."""
    try:
        found, status = badges.model_badge(session, slug=slug, field=field), 200
    except NotFound:
        found, status = badges.not_found_badge(slug), 404
    return Response(
        badges.render_svg(found),
        status_code=status,
        media_type="image/svg+xml",
        headers={"Cache-Control": BADGE_CACHE_CONTROL},
    )
