"""The change log's SQL: recording a revision with its changes and snapshot, and reading them back.

The rows to record come from ``registry.seeds.history`` (this package never imports the seeds); the
reads answer ``registry.services.history`` (docs/HISTORY.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from sqlmodel import Session

from registry.models import ChangeEntry, Lineage, Model, Revision, RevisionSnapshot

REVISION = Revision.__table__
CHANGE = ChangeEntry.__table__
SNAPSHOT = RevisionSnapshot.__table__
MAX_CHANGES = 500
SHORT_COMMIT = 7  # the shortest commit prefix ``?revision=`` accepts


class ChangeFilters(BaseModel):
    """Which changes to list: a time window, a model, a family, a field; and which page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: dt.datetime | dt.date | None = Field(
        default=None, description="Recorded on or after (a date or an ISO time)."
    )
    until: dt.datetime | dt.date | None = Field(
        default=None, description="Recorded on or before (a date includes the whole day)."
    )
    model: str | None = Field(default=None, max_length=96, description="A model's slug.")
    family: str | None = Field(
        default=None, max_length=64, description="A family's slug: it and its models."
    )
    field: str | None = Field(
        default=None, max_length=96, description="A field, e.g. context_length or sources.x."
    )
    limit: int = Field(default=100, ge=1, le=MAX_CHANGES)
    offset: int = Field(default=0, ge=0, le=10**9)


def _utc(value: dt.datetime | dt.date, *, end_of_day: bool) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        day = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        return day + dt.timedelta(days=1) if end_of_day else day
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def record_revision(
    connection: Connection,
    *,
    revision: dict[str, Any],
    changes: Sequence[dict[str, Any]],
    snapshot: bytes,
) -> int:
    """Insert a revision, its change rows and (once per content hash) its snapshot; its id."""
    revision_id = connection.execute(REVISION.insert().values(**revision)).inserted_primary_key[0]
    if changes:
        connection.execute(
            CHANGE.insert(), [{**row, "revision_id": revision_id} for row in changes]
        )
    stored = connection.execute(
        sa.select(SNAPSHOT.c.revision).where(SNAPSHOT.c.revision == revision["revision"])
    ).first()
    if stored is None:
        connection.execute(
            SNAPSHOT.insert().values(revision=revision["revision"], records=snapshot)
        )
    return int(revision_id)


def recorded_commits(connection: Connection) -> set[str]:
    """The git commits that some revision already records."""
    rows = connection.execute(
        sa.select(REVISION.c.git_commit).where(REVISION.c.git_commit.is_not(None))
    )
    return {commit for (commit,) in rows}


def _revision_public(row: Any) -> dict[str, Any]:
    return {
        "revision": row.revision,
        "recorded_at": _aware(row.recorded_at),
        "commit": row.git_commit,
        "origin": getattr(row.origin, "value", row.origin),
        "models": row.models,
        "models_added": row.models_added,
        "models_changed": row.models_changed,
        "models_removed": row.models_removed,
        "changes": row.changes,
    }


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite keeps no zone: every time was written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


NEWEST_FIRST = (REVISION.c.recorded_at.desc(), REVISION.c.id.desc())


def list_changes(session: Session, *, filters: ChangeFilters) -> tuple[list[dict[str, Any]], int]:
    """The page of changes ``filters`` select (newest revision first) and how many match."""
    conditions: list[Any] = []
    if filters.since is not None:
        conditions.append(REVISION.c.recorded_at >= _utc(filters.since, end_of_day=False))
    if filters.until is not None:
        until = _utc(filters.until, end_of_day=True)
        inclusive = isinstance(filters.until, dt.datetime)
        conditions.append(
            REVISION.c.recorded_at <= until if inclusive else REVISION.c.recorded_at < until
        )
    if filters.model is not None:
        conditions += [CHANGE.c.kind == "model", CHANGE.c.slug == filters.model]
    if filters.family is not None:
        conditions.append(CHANGE.c.family == filters.family)
    if filters.field is not None:
        conditions.append(CHANGE.c.field == filters.field)
    joined = CHANGE.join(REVISION, REVISION.c.id == CHANGE.c.revision_id)
    count = session.execute(
        sa.select(sa.func.count()).select_from(joined).where(*conditions)
    ).scalar_one()
    rows = session.execute(
        sa.select(
            CHANGE,
            REVISION.c.revision.label("revision_hash"),
            REVISION.c.recorded_at,
            REVISION.c.git_commit.label("commit"),
        )
        .select_from(joined)
        .where(*conditions)
        .order_by(*NEWEST_FIRST, CHANGE.c.id)
        .limit(filters.limit)
        .offset(filters.offset)
    ).all()
    return [_change_public(row) for row in rows], int(count)


def _change_public(row: Any) -> dict[str, Any]:
    return {
        "kind": getattr(row.kind, "value", row.kind),
        "slug": row.slug,
        "family": row.family,
        "action": getattr(row.action, "value", row.action),
        "field": row.field,
        "old": row.old,
        "new": row.new,
        "source": row.source,
        "revision": row.revision_hash,
        "recorded_at": _aware(row.recorded_at),
        "commit": row.commit,
    }


def list_revisions(
    session: Session, *, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Revisions, newest first, and how many there are."""
    count = session.execute(sa.select(sa.func.count()).select_from(REVISION)).scalar_one()
    rows = session.execute(
        sa.select(REVISION).order_by(*NEWEST_FIRST).limit(limit).offset(offset)
    ).all()
    return [_revision_public(row) for row in rows], int(count)


def find_revision(session: Session, *, ref: str) -> Any | None:
    """The revision whose content hash is ``ref``, or whose git commit starts with ``ref`` (at
    least 7 characters); the latest recorded when several match; None when none does."""
    condition = REVISION.c.revision == ref
    if len(ref) >= SHORT_COMMIT and all(c in "0123456789abcdef" for c in ref.lower()):
        condition = sa.or_(condition, REVISION.c.git_commit.like(ref.lower() + "%"))
    return session.execute(
        sa.select(REVISION).where(condition).order_by(*NEWEST_FIRST).limit(1)
    ).first()


def revision_public(row: Any) -> dict[str, Any]:
    return _revision_public(row)


def snapshot_of(session: Session, *, revision: str) -> bytes | None:
    """The stored records of the content hash ``revision``."""
    return session.execute(
        sa.select(SNAPSHOT.c.records).where(SNAPSHOT.c.revision == revision)
    ).scalar_one_or_none()


def history_until(session: Session, *, revision_id: int) -> tuple[list[dict], list[dict]]:
    """Every revision recorded up to and including ``revision_id`` (by time), and their changes:
    the history as it stood at that revision."""
    pinned = session.execute(sa.select(REVISION).where(REVISION.c.id == revision_id)).one()
    earlier = sa.or_(
        REVISION.c.recorded_at < pinned.recorded_at,
        sa.and_(REVISION.c.recorded_at == pinned.recorded_at, REVISION.c.id <= pinned.id),
    )
    revisions = [dict(row._mapping) for row in session.execute(sa.select(REVISION).where(earlier))]
    ids = [row["id"] for row in revisions]
    changes = [
        dict(row._mapping)
        for row in session.execute(sa.select(CHANGE).where(CHANGE.c.revision_id.in_(ids)))
    ]
    return revisions, changes


def copy_history(connection: Connection, revisions: list[dict], changes: list[dict]) -> None:
    """Write revision and change rows (read by ``history_until``) into another database."""
    if revisions:
        connection.execute(REVISION.insert(), revisions)
    if changes:
        connection.execute(CHANGE.insert(), changes)


def current_revision(session: Session) -> dict[str, Any] | None:
    """The latest revision recorded with the loaded data's content hash (None before any)."""
    loaded = session.execute(
        sa.text("SELECT revision, loaded_at, models FROM dataset_revision WHERE id = 1")
    ).first()
    if loaded is None:
        return None
    row = session.execute(
        sa.select(REVISION)
        .where(REVISION.c.revision == loaded.revision)
        .order_by(*NEWEST_FIRST)
        .limit(1)
    ).first()
    if row is not None:
        return _revision_public(row)
    return {
        "revision": loaded.revision,
        "recorded_at": _aware(loaded.loaded_at),
        "commit": None,
        "origin": "load",
        "models": loaded.models,
    }


def all_lineage(session: Session) -> list[dict[str, Any]]:
    """Every lineage link as (child, parent, relation, note) slugs."""
    child, parent = sa.orm.aliased(Model), sa.orm.aliased(Model)
    rows = session.execute(
        sa.select(child.slug, parent.slug, Lineage.relation, Lineage.note)
        .join(child, child.id == Lineage.child_id)
        .join(parent, parent.id == Lineage.parent_id)
        .order_by(child.slug, parent.slug)
    ).all()
    return [
        {"child": c, "parent": p, "relation": getattr(r, "value", r), "note": n}
        for c, p, r, n in rows
    ]


def model_known(session: Session, *, slug: str) -> bool:
    """Whether ``slug`` is a model now or ever was one in the change log."""
    now = session.execute(sa.select(Model.id).where(Model.slug == slug)).first()
    if now is not None:
        return True
    logged = session.execute(
        sa.select(CHANGE.c.id).where(CHANGE.c.kind == "model", CHANGE.c.slug == slug).limit(1)
    ).first()
    return logged is not None


def changes_of(session: Session, *, revision_id: int) -> list[dict[str, Any]]:
    """Every change one revision made, in the order recorded."""
    rows = session.execute(
        sa.select(
            CHANGE,
            REVISION.c.revision.label("revision_hash"),
            REVISION.c.recorded_at,
            REVISION.c.git_commit.label("commit"),
        )
        .join(REVISION, REVISION.c.id == CHANGE.c.revision_id)
        .where(CHANGE.c.revision_id == revision_id)
        .order_by(CHANGE.c.id)
    ).all()
    return [_change_public(row) for row in rows]
