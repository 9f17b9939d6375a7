"""The SQL of ``ModelFilters``: WHERE clauses, ordering and facet counts (``docs/PAGES.md``).

``registry.store.queries`` runs these for the model list; the facets are one GROUP BY each over
the very same filtered set, so they add up to the list's count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry.models import Family, Model, ModelModality, Organization
from registry.store.filters import OPEN_WEIGHTS_ACCESS, SEARCH_IGNORED, ModelFilters, search_key


def _search_expr(column: Any) -> Any:
    """``column`` as search compares it (``filters.search_key`` in SQL)."""
    expr = sa.func.lower(column)
    for char in SEARCH_IGNORED:
        expr = sa.func.replace(expr, char, "")
    return expr


def conditions_of(filters: ModelFilters) -> list[Any]:
    """The WHERE clauses of ``filters``; every value is bound, never spliced into SQL.

    Repeated values of one filter are alternatives (IN); different filters all hold (AND)."""
    conditions: list[Any] = []
    for name in ("access", "openness", "architecture", "stage"):
        values = getattr(filters, name)
        if values:
            conditions.append(col(getattr(Model, name)).in_(sorted(set(values))))
    if filters.reasoning is not None:
        conditions.append(Model.reasoning == filters.reasoning)
    if filters.open_weights is not None:
        downloadable = col(Model.access).in_(OPEN_WEIGHTS_ACCESS)
        conditions.append(downloadable if filters.open_weights else sa.not_(downloadable))
    if filters.family:
        conditions.append(col(Family.slug).in_(sorted(set(filters.family))))
    if filters.organization:
        conditions.append(col(Organization.slug).in_(sorted(set(filters.organization))))
    for direction, modalities in (
        ("input", filters.input_modality),
        ("output", filters.output_modality),
    ):
        for modality in sorted(set(modalities)):
            conditions.append(
                sa.exists().where(
                    ModelModality.model_id == Model.id,
                    ModelModality.direction == direction,
                    ModelModality.modality == modality,
                )
            )
    bounds = (
        ("min_context", Model.context_length, sa.Column.__ge__),
        ("max_context", Model.context_length, sa.Column.__le__),
        ("min_params", Model.total_params, sa.Column.__ge__),
        ("max_params", Model.total_params, sa.Column.__le__),
        ("min_active_params", Model.active_params, sa.Column.__ge__),
        ("max_active_params", Model.active_params, sa.Column.__le__),
        ("released_after", Model.release_date, sa.Column.__ge__),
        ("released_before", Model.release_date, sa.Column.__le__),
    )
    for name, column, compare in bounds:
        value = getattr(filters, name)
        if value is not None:
            conditions.append(compare(column, value))
    key = search_key(filters.q or "")
    if key:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%") + "%"
        conditions.append(
            sa.or_(
                _search_expr(Model.name).like(pattern, escape="\\"),
                _search_expr(Model.slug).like(pattern, escape="\\"),
            )
        )
    return conditions


# Columns sorted by something other than the model's own column of that name.
SORT_COLUMNS: dict[str, Any] = {"family": Family.name, "organization": Organization.name}


def order_of(filters: ModelFilters) -> list[Any]:
    """Exact name (or slug) matches of the search first, then ``sort``, then the slug."""
    sort = filters.sort
    name = sort.lstrip("-")
    column = SORT_COLUMNS[name] if name in SORT_COLUMNS else getattr(Model, name)
    ordered = column.desc() if sort.startswith("-") else column.asc()
    order = [sa.nulls_last(ordered), col(Model.slug)]
    key = search_key(filters.q or "")
    if key:
        exact = sa.or_(_search_expr(Model.name) == key, _search_expr(Model.slug) == key)
        order.insert(0, sa.case((exact, 0), else_=1))
    return order


def joined(statement: Any) -> Any:
    return statement.join(Family, col(Family.id) == Model.family_id).join(
        Organization, col(Organization.id) == Model.organization_id
    )


# What each facet counts: a column of the joined model rows (modalities are counted apart).
FACET_COLUMNS: dict[str, Any] = {
    "access": Model.access,
    "openness": Model.openness,
    "family": Family.slug,
    "organization": Organization.slug,
    "architecture": Model.architecture,
    "stage": Model.stage,
}
UNKNOWN = "unknown"  # the facet key of models with no value recorded


def facet_counts(
    session: Session, *, filters: ModelFilters, names: Sequence[str]
) -> dict[str, dict[str, int]]:
    """For each facet named, how many of the models ``filters`` select have each value (one
    GROUP BY over the same filtered set each), most first. Single-valued facets sum to the count;
    a model counts once under each of its modalities."""
    conditions = conditions_of(filters)
    counts: dict[str, dict[str, int]] = {}
    for name in dict.fromkeys(names):
        if name in FACET_COLUMNS:
            key = col(FACET_COLUMNS[name])
            statement = joined(select(key, sa.func.count(col(Model.id)))).where(*conditions)
        else:
            # Its own alias: the modality filters' EXISTS subqueries must still correlate.
            counted = sa.orm.aliased(ModelModality)
            key = counted.modality
            statement = (
                joined(select(key, sa.func.count(col(Model.id))))
                .join(counted, counted.model_id == Model.id)
                .where(counted.direction == name.removesuffix("_modality"), *conditions)
            )
        rows = session.exec(statement.group_by(key)).all()
        found = {
            UNKNOWN if value is None else str(getattr(value, "value", value)): total
            for value, total in rows
        }
        counts[name] = dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
    return counts
