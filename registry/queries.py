"""The one place that builds select() statements: named, typed, keyword-only query functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, select

from registry.models import (
    Claim,
    Family,
    Model,
    ModelArchitecture,
    ModelModality,
    ModelPublic,
    Organization,
    SourcePublic,
)
from registry.seeds.numbers import format_partial_date

DEFAULT_ORDER = (Model.release_date.desc(), Model.slug)  # type: ignore[union-attr]


def list_models(
    session: Session, *, limit: int = 50, offset: int = 0
) -> tuple[list[ModelPublic], int]:
    """A page of models (newest first) and how many there are in all."""
    count = session.exec(select(sa.func.count()).select_from(Model)).one()
    statement = (
        select(Model, Family.slug, Organization.slug)
        .join(Family, Family.id == Model.family_id)  # type: ignore[arg-type]
        .join(Organization, Organization.id == Model.organization_id)  # type: ignore[arg-type]
        .order_by(sa.nulls_last(DEFAULT_ORDER[0]), DEFAULT_ORDER[1])
        .limit(limit)
        .offset(offset)
    )
    rows = session.exec(statement).all()
    return public_models(session, rows), count


def public_models(session: Session, rows: Sequence[tuple[Model, str, str]]) -> list[ModelPublic]:
    """Models in their public shape, with modalities and sources fetched in one query each."""
    ids = [model.id for model, _, _ in rows]
    modalities: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"input": [], "output": []})
    for row in session.exec(select(ModelModality).where(ModelModality.model_id.in_(ids))):  # type: ignore[attr-defined]
        modalities[row.model_id][row.direction.value].append(row.modality.value)
    claims: dict[int, list[Claim]] = defaultdict(list)
    for claim in session.exec(select(Claim).where(Claim.model_id.in_(ids)).order_by(Claim.field)):  # type: ignore[attr-defined]
        claims[claim.model_id].append(claim)
    return [
        _public(model, family, organization, modalities[model.id], claims[model.id])  # type: ignore[index]
        for model, family, organization in rows
    ]


def _public(
    model: Model,
    family: str,
    organization: str,
    modalities: dict[str, list[str]],
    claims: list[Claim],
) -> ModelPublic:
    arch = {name: getattr(model, name) for name in ModelArchitecture.model_fields}
    return ModelPublic(
        **arch,
        **model.model_dump(
            include=set(ModelPublic.model_fields) - set(arch) - {"release_date", "knowledge_cutoff"}
        ),
        family=family,
        organization=organization,
        release_date=format_partial_date(model.release_date, model.release_date_precision),
        knowledge_cutoff=format_partial_date(
            model.knowledge_cutoff, model.knowledge_cutoff_precision
        ),
        input_modalities=sorted(modalities["input"]),
        output_modalities=sorted(modalities["output"]),
        undisclosed=[c.field for c in claims if c.undisclosed],
        sources=[
            SourcePublic(
                field=c.field,
                url=c.source_url,
                confidence=c.confidence,
                undisclosed=c.undisclosed,
                note=c.note,
            )
            for c in claims
        ],
    )
