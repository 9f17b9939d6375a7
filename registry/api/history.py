"""``/api/v1``'s history: a model's changes, the change log, revisions and snapshots
(docs/HISTORY.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from registry.api.schemas import ERRORS
from registry.http.deps import SessionDep
from registry.http.responses import json_response
from registry.http.revision import PinnedSessionDep
from registry.services import history, snapshot
from registry.store.history import ChangeFilters

router = APIRouter(prefix="/api/v1", tags=["history"], responses=ERRORS)


class ChangePublic(BaseModel):
    kind: str
    slug: str
    family: str | None
    action: str
    field: str | None
    old: Any
    new: Any
    source: str | None
    revision: str
    recorded_at: str
    commit: str | None


class ChangesPublic(BaseModel):
    data: list[ChangePublic]
    count: int


class ModelHistoryPublic(ChangesPublic):
    model: str


class RevisionPublic(BaseModel):
    revision: str
    recorded_at: str
    commit: str | None
    origin: str
    models: int
    models_added: int
    models_changed: int
    models_removed: int
    changes: int


class RevisionsPublic(BaseModel):
    data: list[RevisionPublic]
    count: int


class RevisionDetailPublic(RevisionPublic):
    data: list[ChangePublic]


@router.get("/models/{slug}/history", response_model=ModelHistoryPublic)
def model_history(session: SessionDep, slug: Annotated[str, Path(max_length=96)]) -> Response:
    """Every change of the model, newest first: field, old and new value, source, revision."""
    return json_response(history.model_history(session, slug=slug))


@router.get("/changes", response_model=ChangesPublic)
def changes(session: SessionDep, filters: Annotated[ChangeFilters, Query()]) -> Response:
    """The change log, newest first, filtered by time, model, family and field, a page at a time."""
    return json_response(history.changes(session, filters))


@router.get("/revisions", response_model=RevisionsPublic)
def revisions(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Every revision, newest first: time, git commit, counts of models added/changed/removed."""
    return json_response(history.revisions(session, limit=limit, offset=offset))


@router.get("/revisions/{ref}", response_model=RevisionDetailPublic)
def revision(
    session: SessionDep, ref: Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z._-]+$")]
) -> Response:
    """One revision (by revision or git commit) and every change it made."""
    return json_response(history.revision_detail(session, ref=ref))


def _download(session: PinnedSessionDep, kind: str, media_type: str) -> Response:
    revision, body = snapshot.download(session, kind)  # type: ignore[arg-type]
    headers = {
        "Content-Disposition": f'attachment; filename="registry-{revision}.{kind}"',
        "ETag": f'"{revision}"',
        "X-Registry-Revision": revision,
    }
    return Response(body, media_type=media_type, headers=headers)


@router.get(
    "/snapshot.sqlite",
    response_class=Response,
    responses={200: {"content": {"application/vnd.sqlite3": {}}}},
)
def snapshot_sqlite(session: PinnedSessionDep) -> Response:
    """The current revision (or ``revision``'s) as an SQLite file, one table per entity."""
    return _download(session, "sqlite", "application/vnd.sqlite3")


@router.get("/snapshot.json", response_class=Response, response_model=dict[str, Any])
def snapshot_json(session: PinnedSessionDep) -> Response:
    """The current revision (or ``revision``'s) as one JSON document, one table per entity."""
    return _download(session, "json", "application/json")
