"""One function per view, returning the dict that the API renders as JSON and the pages as HTML."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from registry.calc import CalcError, Law, place
from registry.errors import BadInput
from registry.models import ModelPublic
from registry.numbers import humanize_count
from registry.probe.claims import compare_claims
from registry.probe.store import latest_probe_run
from registry.store import queries
from registry.store.filters import FACETS, ModelFilters

COMPARE_MIN, COMPARE_MAX = 2, 8
# Fields that are bookkeeping rather than properties to compare side by side.
NOT_COMPARED = {"slug", "name", "sources", "notes"}


def model_table(session: Session, filters: ModelFilters) -> dict[str, Any]:
    """A page of the models ``filters`` select, their count and the facets asked for."""
    data, count = queries.list_models(session, filters=filters)
    table: dict[str, Any] = {"data": data, "count": count}
    if filters.facet:
        table["facets"] = queries.facet_counts(session, filters=filters, names=filters.facet)
    return table


def facet_options(session: Session, filters: ModelFilters) -> dict[str, dict[str, int]]:
    """What the explorer's facets offer: for a facet whose values are alternatives, how many
    models each value would give with every other filter kept (the facet's own choice aside);
    for modalities, which must all hold, the counts among the models shown."""
    options: dict[str, dict[str, int]] = {}
    for name in FACETS:
        chosen = filters if name.endswith("_modality") else filters.without(name)
        options |= queries.facet_counts(session, filters=chosen, names=[name])
    return options


def placement_of(
    model: ModelPublic, *, fit: Law | str | None = None, inference_tokens: float | None = None
) -> dict[str, Any] | None:
    """The model against the scaling law ``fit``; None when its size or tokens are unknown."""
    if not model.total_params or not model.training_tokens:
        return None
    try:
        placement = place(
            params=float(model.total_params),
            active_params=float(model.active_params or model.total_params),
            tokens=float(model.training_tokens),
            fit=fit,
            inference_tokens=inference_tokens,
        )
    except CalcError as exc:
        raise BadInput(str(exc)) from exc
    return placement.as_dict()


def placement_sentence(model: ModelPublic, placement: dict[str, Any] | None) -> str | None:
    """'Trained on 15T tokens, 1,875 per parameter: ×94 the compute-optimal ratio; …'."""
    if placement is None or model.training_tokens is None:
        return None
    factor = placement["overtrain_factor"]
    ratio = placement["optimal"]["tokens_per_param"]
    if factor >= 1:
        relation = f"×{factor:,.1f} the compute-optimal ratio of {ratio:,.0f}"
    else:
        relation = f"{factor:.2f}× the compute-optimal ratio of {ratio:,.0f} (undertrained)"
    per = "active parameter" if model.architecture == "moe" else "parameter"
    sentence = (
        f"Trained on {humanize_count(model.training_tokens)} tokens, "
        f"{placement['tokens_per_param']:,.0f} per {per}: {relation} under the "
        f"{placement['fit']} fit"
    )
    break_even = placement.get("break_even_inference_tokens")
    if break_even:
        sentence += (
            f"; it pays off beyond {humanize_count(break_even)} tokens of lifetime inference"
        )
    return sentence + "."


def model_detail(session: Session, *, slug: str, fit: str | None = None) -> dict[str, Any]:
    """Everything about one model: fields, sources, lineage, evaluations and placement."""
    (model,) = queries.models_by_slug(session, slugs=[slug])
    placement = placement_of(model, fit=fit)
    probe = latest_probe_run(session, slug)
    return {
        "model": model,
        **queries.model_relations(session, slug=slug),
        "placement": placement,
        "placement_sentence": placement_sentence(model, placement),
        "probe": probe,
        "probe_comparison": compare_claims(probe.model_dump(), model) if probe else None,
    }


def compare(session: Session, *, slugs: list[str], fit: str | None = None) -> dict[str, Any]:
    """Models side by side: their fields, which fields differ, and each model's placement."""
    unique = list(dict.fromkeys(slug.strip() for slug in slugs if slug.strip()))
    if not COMPARE_MIN <= len(unique) <= COMPARE_MAX:
        raise BadInput(
            f"models: give {COMPARE_MIN} to {COMPARE_MAX} distinct slugs separated by commas; "
            f"got {len(unique)}"
        )
    models = queries.models_by_slug(session, slugs=unique)
    dumped = [m.model_dump(mode="json") for m in models]
    fields = [f for f in ModelPublic.model_fields if f not in NOT_COMPARED]
    differing = [f for f in fields if len({repr(d[f]) for d in dumped}) > 1]
    return {
        "models": models,
        "fields": fields,
        "differing": differing,
        "placements": {m.slug: placement_of(m, fit=fit) for m in models},
    }
