"""The one place that builds select() statements: named, typed, keyword-only query functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry.errors import NotFound
from registry.models import (
    Benchmark,
    Claim,
    Evaluation,
    EvaluationPublic,
    Family,
    Lineage,
    LineagePublic,
    Model,
    ModelArchitecture,
    ModelModality,
    ModelPublic,
    Organization,
    SourcePublic,
)
from registry.numbers import format_partial_date
from registry.store.documents import (
    document,
    document_bodies,
)
from registry.store.filters import MAX_LIMIT, ModelFilters
from registry.store.model_index import select_page
from registry.store.selection import conditions_of, facet_counts, joined, order_of

__all__ = ["facet_counts"]

Row = tuple[Model, str, str]


# The seeds' content hash and the newest probe run: every read depends on nothing else.
REVISION_SQL = sa.text(
    "SELECT (SELECT revision FROM dataset_revision WHERE id = 1), (SELECT max(id) FROM probe_run)"
)


def revision_of(connection: sa.Connection | Session) -> str:
    """The revision of the data that reads see: it changes with every seed load that changes
    data and every probe run recorded ('empty' before the first load)."""
    seeds, probe = connection.execute(REVISION_SQL).one()  # type: ignore[call-overload]
    return f"{seeds or 'empty'}.{probe or 0}"


def seeds_revision(revision: str) -> str:
    """The seeds' part of a ``revision_of`` value (the loaded revision, without the probe runs)."""
    return revision.rpartition(".")[0]


def data_revision(session: Session) -> str:
    """The revision of the data this session reads."""
    return revision_of(session)


def list_models(session: Session, *, filters: ModelFilters) -> tuple[list[ModelPublic], int]:
    """The page of models that ``filters`` select, and how many match in all."""
    found = select_page(session, filters)
    if found is None:
        return _list_models_sql(session, filters=filters)
    ids, count = found
    return [ModelPublic.model_validate_json(body) for body in documents_of(session, ids)], count


def list_model_documents(session: Session, *, filters: ModelFilters) -> tuple[list[bytes], int]:
    """As ``list_models``, each model as its public JSON: the stored documents, ready to send."""
    found = select_page(session, filters)
    if found is None:
        data, count = _list_models_sql(session, filters=filters)
        return [document(model) for model in data], count
    ids, count = found
    return documents_of(session, ids), count


def documents_of(session: Session, ids: Sequence[int]) -> list[bytes]:
    """The public JSON of the models ``ids``, in that order: stored documents, and for a model
    without one (a database migrated but not reloaded) its JSON built from its rows."""
    stored = document_bodies(session, ids)
    missing = [i for i in ids if i not in stored]
    if missing:
        rows = session.exec(
            joined(select(Model, Family.slug, Organization.slug)).where(col(Model.id).in_(missing))
        ).all()
        for (model, _, _), public in zip(rows, public_models(session, rows), strict=True):
            stored[model.id] = document(public)  # type: ignore[index]
    return [stored[i] for i in ids]


def _list_models_sql(session: Session, *, filters: ModelFilters) -> tuple[list[ModelPublic], int]:
    """``list_models`` in SQL alone: the reference, and the path for searches."""
    conditions = conditions_of(filters)
    count = session.exec(joined(select(sa.func.count(col(Model.id)))).where(*conditions)).one()
    statement = (
        joined(select(Model, Family.slug, Organization.slug))
        .where(*conditions)
        .order_by(*order_of(filters))
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return public_models(session, session.exec(statement).all()), count


def matching_models(session: Session, *, filters: ModelFilters) -> list[ModelPublic]:
    """Every model ``filters`` select (their limit and offset ignored), a page at a time."""
    models: list[ModelPublic] = []
    while True:
        page = filters.model_copy(update={"limit": MAX_LIMIT, "offset": len(models)})
        data, count = list_models(session, filters=page)
        models += data
        if len(models) >= count or not data:
            return models


def models_by_slug(session: Session, *, slugs: Sequence[str]) -> list[ModelPublic]:
    """The models named, in the order named; NotFound lists any unknown slug."""
    found = dict(session.exec(select(Model.slug, Model.id).where(col(Model.slug).in_(slugs))).all())
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise NotFound(f"no model with slug {', '.join(map(repr, missing))}")
    bodies = documents_of(session, [found[slug] for slug in slugs])
    return [ModelPublic.model_validate_json(body) for body in bodies]


def existing_slugs(session: Session, *, slugs: Sequence[str]) -> list[str]:
    """Those of ``slugs`` that name a model (in no particular order)."""
    return list(session.exec(select(Model.slug).where(col(Model.slug).in_(slugs))).all())


def public_models(session: Session, rows: Sequence[Row]) -> list[ModelPublic]:
    """Models in their public shape, with modalities and sources fetched in one query each."""
    ids = [model.id for model, _, _ in rows]
    modalities: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"input": [], "output": []})
    claims: dict[int, list[Claim]] = defaultdict(list)
    if ids:
        for row in session.exec(select(ModelModality).where(col(ModelModality.model_id).in_(ids))):
            modalities[row.model_id][row.direction.value].append(row.modality.value)
        for claim in session.exec(
            select(Claim).where(col(Claim.model_id).in_(ids)).order_by(col(Claim.field))
        ):
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
    plain = set(ModelPublic.model_fields) - set(arch) - {"release_date", "knowledge_cutoff"}
    plain -= {"total_params_includes"}
    return ModelPublic(
        **arch,
        **model.model_dump(include=plain),
        total_params_includes=(model.total_params_includes or "").split(",")
        if model.total_params_includes
        else [],
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
                version=c.source_version,
                quote=c.quote,
                confidence=c.confidence,
                undisclosed=c.undisclosed,
                note=c.note,
            )
            for c in claims
        ],
    )


def model_relations(session: Session, *, slug: str) -> dict[str, Any]:
    """A model's parents, children and evaluations."""
    model_id = session.exec(select(Model.id).where(Model.slug == slug)).first()
    if model_id is None:
        raise NotFound(f"no model with slug {slug!r}")
    parent, child = sa.orm.aliased(Model), sa.orm.aliased(Model)
    parents = session.exec(
        select(parent.slug, Lineage.relation, Lineage.note)
        .join(parent, parent.id == Lineage.parent_id)
        .where(Lineage.child_id == model_id)
        .order_by(parent.slug)
    ).all()
    children = session.exec(
        select(child.slug, Lineage.relation, Lineage.note)
        .join(child, child.id == Lineage.child_id)
        .where(Lineage.parent_id == model_id)
        .order_by(child.slug)
    ).all()
    return {
        "parents": [LineagePublic(model=s, relation=r, note=n) for s, r, n in parents],
        "children": [LineagePublic(model=s, relation=r, note=n) for s, r, n in children],
        "evaluations": evaluations_by_model(session, slugs=[slug]).get(slug, []),
    }


def evaluations_by_model(
    session: Session, *, slugs: Sequence[str] | None = None
) -> dict[str, list[EvaluationPublic]]:
    """The evaluations of the models named (default: every model), by slug, in one query."""
    statement = (
        select(Model.slug, Benchmark.slug, Benchmark.name, Evaluation)
        .join(Model, col(Model.id) == Evaluation.model_id)
        .join(Benchmark, col(Benchmark.id) == Evaluation.benchmark_id)
        .order_by(
            col(Model.slug), col(Benchmark.slug), col(Evaluation.metric), col(Evaluation.shots)
        )
    )
    if slugs is not None:
        statement = statement.where(col(Model.slug).in_(slugs))
    found: dict[str, list[EvaluationPublic]] = defaultdict(list)
    for slug, benchmark, benchmark_name, e in session.exec(statement).all():
        found[slug].append(
            EvaluationPublic(
                benchmark=benchmark,
                benchmark_name=benchmark_name,
                score=e.score,
                metric=e.metric,
                shots=e.shots,
                chain_of_thought=e.chain_of_thought,
                source=e.source_url,
                note=e.note,
            )
        )
    return dict(found)


def list_families(session: Session, *, slug: str | None = None) -> list[dict[str, Any]]:
    """Every family (or only ``slug``) with its organization and number of models."""
    statement = (
        select(
            Family,
            Organization.slug,
            sa.func.count(col(Model.id)),
            sa.func.min(Model.release_date),
            sa.func.max(Model.release_date),
        )
        .join(Organization, col(Organization.id) == Family.organization_id)
        .outerjoin(Model, col(Model.family_id) == Family.id)
        .where(*([col(Family.slug) == slug] if slug is not None else []))
        .group_by(col(Family.id), col(Organization.slug))
        .order_by(col(Family.name))
    )
    return [
        {
            "slug": family.slug,
            "name": family.name,
            "organization": org,
            "description": family.description,
            "url": family.url,
            "models": count,
            "first_release": first.isoformat() if first else None,
            "latest_release": last.isoformat() if last else None,
        }
        for family, org, count, first, last in session.exec(statement).all()
    ]


def get_family(session: Session, *, slug: str) -> dict[str, Any]:
    """One family with its models, oldest first."""
    found = list_families(session, slug=slug)
    if not found:
        raise NotFound(f"no family with slug {slug!r}")
    models, _ = list_models(
        session, filters=ModelFilters(family=slug, sort="release_date", limit=500)
    )
    lineage = _family_lineage(session, family_slug=slug)
    return {**found[0], "data": models, "lineage": lineage}


def _family_lineage(session: Session, *, family_slug: str) -> list[dict[str, str]]:
    parent, child = sa.orm.aliased(Model), sa.orm.aliased(Model)
    statement = (
        select(child.slug, parent.slug, Lineage.relation)
        .join(child, child.id == Lineage.child_id)
        .join(parent, parent.id == Lineage.parent_id)
        .join(Family, col(Family.id) == child.family_id)
        .where(Family.slug == family_slug)
        .order_by(child.slug)
    )
    return [
        {"child": c, "parent": p, "relation": r.value} for c, p, r in session.exec(statement).all()
    ]


def list_organizations(session: Session) -> list[dict[str, Any]]:
    """Every organization with its number of families and models."""
    statement = (
        select(
            Organization, sa.func.count(sa.distinct(Model.family_id)), sa.func.count(col(Model.id))
        )
        .outerjoin(Model, col(Model.organization_id) == Organization.id)
        .group_by(col(Organization.id))
        .order_by(col(Organization.name))
    )
    return [
        {
            "slug": org.slug,
            "name": org.name,
            "url": org.url,
            "country": org.country,
            "families": families,
            "models": models,
        }
        for org, families, models in session.exec(statement).all()
    ]


def model_names(session: Session) -> list[tuple[str, str, str]]:
    """(slug, name, family slug) of every model: the name tables of the pages and their pickers,
    without building every model's public record."""
    statement = select(Model.slug, Model.name, Family.slug).join(
        Family, col(Family.id) == Model.family_id
    )
    return [(slug, name, family) for slug, name, family in session.exec(statement).all()]
