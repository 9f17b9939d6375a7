"""Recording probe runs and reading them back: the queries the CLI, the API and pages share."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from registry.errors import NotFound
from registry.models import Model, ProbeRun, ProbeRunCreate, ProbeRunPublic
from registry.probe.claims import compare_claims
from registry.store.changes import data_changed


def get_model(session: Session, *, slug: str) -> Model:
    """The model ``slug``; ``NotFound`` says so when the registry has none."""
    model = session.exec(select(Model).where(Model.slug == slug)).first()
    if model is None:
        raise NotFound(f"no model {slug!r} in the registry: see `GET /api/v1/models` for slugs")
    return model


def record_run(session: Session, run: ProbeRunCreate) -> ProbeRun:
    """Store ``run``; with a model slug, link it and compare it with the model's claims."""
    values = run.model_dump()
    model = get_model(session, slug=run.model_slug) if run.model_slug else None
    # Claims are always the server's own comparison, never what the client sent.
    values["claims"] = compare_claims(values, model).as_dict() if model else None
    row = ProbeRun(
        **values, model_id=model.id if model else None, created_at=dt.datetime.now(dt.UTC)
    )
    session.add(row)
    session.commit()
    data_changed()
    session.refresh(row)
    return row


def public_run(row: ProbeRun) -> ProbeRunPublic:
    """A stored run in its public shape."""
    public = ProbeRunPublic.model_validate(row, from_attributes=True)
    if public.created_at.tzinfo is None:  # SQLite keeps no zone: the value was written in UTC
        public.created_at = public.created_at.replace(tzinfo=dt.UTC)
    return public


def list_probe_runs(
    session: Session, *, model_slug: str, limit: int = 50, offset: int = 0
) -> tuple[list[ProbeRunPublic], int]:
    """Runs recorded for ``model_slug`` (newest first) and how many there are in all."""
    get_model(session, slug=model_slug)
    where = ProbeRun.model_slug == model_slug
    count = session.exec(select(sa.func.count()).select_from(ProbeRun).where(where)).one()
    rows = session.exec(
        select(ProbeRun)
        .where(where)
        .order_by(ProbeRun.created_at.desc(), ProbeRun.id.desc())  # type: ignore[union-attr]
        .limit(limit)
        .offset(offset)
    ).all()
    return [public_run(row) for row in rows], count


def latest_probe_run(session: Session, model_slug: str) -> ProbeRunPublic | None:
    """The newest run recorded for ``model_slug``, or None (the model page calls this)."""
    runs, _ = list_probe_runs(session, model_slug=model_slug, limit=1)
    return runs[0] if runs else None
