"""One function per view, returning the dict that the API renders as JSON and the pages as HTML."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from sqlmodel import Session

from registry.calc import CalcError, Law, fit_title, place
from registry.errors import BadInput, NotFound
from registry.models import EvaluationPublic, ModelPublic
from registry.numbers import humanize_count
from registry.probe.claims import compare_claims
from registry.probe.store import latest_probe_run
from registry.store import page_reads, queries
from registry.store.documents import DocumentMemo
from registry.store.filters import FACETS, ModelFilters

COMPARE_MIN, COMPARE_MAX = 2, 8
RULE_OF_THUMB = 20.0  # tokens per parameter (Hoffmann et al. 2022; docs/SCIENCE.md section 4)
# Fields that are bookkeeping rather than properties to compare side by side.
NOT_COMPARED = {"slug", "name", "sources", "notes"}


def model_table(session: Session, filters: ModelFilters) -> dict[str, Any]:
    """A page of the models ``filters`` select, their count and the facets asked for."""
    data, count = queries.list_models(session, filters=filters)
    table: dict[str, Any] = {"data": data, "count": count}
    if filters.facet:
        table["facets"] = queries.facet_counts(session, filters=filters, names=filters.facet)
    return table


def model_table_json(session: Session, filters: ModelFilters) -> bytes:
    """``model_table`` as the JSON the API sends, assembled from the stored documents: no model
    is built per request (docs/PERFORMANCE.md)."""
    documents, count = queries.list_model_documents(session, filters=filters)
    return _envelope(session, filters, documents, count)


def model_table_json_in_one_read(
    connection: Any, filters: ModelFilters, memo: DocumentMemo | None = None
) -> bytes | None:
    """``model_table_json`` in one statement on ``connection`` (no transaction), or None when
    only the transactional path can answer (``page_reads.model_page_in_one_read``)."""
    if filters.facet:
        return None
    found = page_reads.model_page_in_one_read(connection, filters=filters, memo=memo)
    return None if found is None else _envelope(None, filters, *found)


async def model_table_json_in_one_read_async(
    engine: Any, connection: Any, filters: ModelFilters, memo: DocumentMemo | None = None
) -> bytes | None:
    """``model_table_json_in_one_read`` on an asyncio connection to ``engine``'s database."""
    if filters.facet:
        return None
    found = await page_reads.model_page_in_one_read_async(
        engine, connection, filters=filters, memo=memo
    )
    return None if found is None else _envelope(None, filters, *found)


def model_table_json_from_memory(
    engine: Any, filters: ModelFilters, *, revision: str | None, memo: DocumentMemo
) -> bytes | None:
    """``model_table_json`` without reading the database, or None (``page_reads.
    model_page_from_memory``)."""
    if filters.facet:
        return None
    found = page_reads.model_page_from_memory(engine, filters=filters, revision=revision, memo=memo)
    return None if found is None else _envelope(None, filters, *found)


def _envelope(
    session: Session | None, filters: ModelFilters, documents: list[bytes], count: int
) -> bytes:
    parts = [b'{"data":[', b",".join(documents), b'],"count":', str(count).encode()]
    if filters.facet and session is not None:
        facets = queries.facet_counts(session, filters=filters, names=filters.facet)
        parts += [b',"facets":', to_json(facets)]
    parts.append(b"}")
    return b"".join(parts)


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


def times(factor: float) -> str:
    """A ratio as people say it: '93x', '2.5x', '0.45x'."""
    if factor >= 10:
        return f"{factor:,.0f}x"
    return f"{factor:.1f}x" if factor >= 1 else f"{factor:.2g}x"


def _plain(value: float) -> str:
    """1868.2 -> '1,868'; 1.71 -> '1.71'."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def placement_sentence(model: ModelPublic, placement: dict[str, Any] | None) -> str | None:
    """'Trained on 15T tokens, 214 tokens per parameter: 11x Chinchilla's 20:1 rule, and …'.

    The rule of thumb (20 tokens per parameter, Hoffmann et al. 2022) comes first because people
    quote it; the chosen fit's compute-optimal ratio at the model's compute (docs/SCIENCE.md
    section 4) follows, named as a person reads it (``calc.fit_title``).
    """
    if placement is None or model.training_tokens is None:
        return None
    per_param = placement["tokens_per_param"]
    factor = placement["overtrain_factor"]
    ratio = placement["optimal"]["tokens_per_param"]
    per = "active parameter" if model.architecture == "moe" else "parameter"
    trained = humanize_count(model.training_tokens)
    rule = f"{times(per_param / RULE_OF_THUMB)} Chinchilla's {RULE_OF_THUMB:.0f}:1 rule"
    optimal = f"{times(factor)} the compute-optimal ratio of {ratio:,.3g}"
    sentence = (
        f"Trained on {trained} tokens, {_plain(per_param)} tokens per {per}: {rule}, and "
        f"{optimal} under {fit_title(placement['fit'])}"
    )
    if factor < 1:
        sentence += " (undertrained: a smaller model on more tokens would reach the same loss)"
    break_even = placement.get("break_even_inference_tokens")
    if break_even:
        sentence += (
            f"; the extra training pays off beyond {humanize_count(break_even)} tokens of "
            "lifetime inference"
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
    """Models side by side: their fields, which differ, each placement and aligned evaluations.

    Asking for fewer than COMPARE_MIN or more than COMPARE_MAX distinct slugs is bad input; an
    unknown slug is named in ``unknown`` and ``warnings`` while the others are still compared
    (NotFound only when none is known).
    """
    unique = list(dict.fromkeys(slug.strip() for slug in slugs if slug.strip()))
    if not COMPARE_MIN <= len(unique) <= COMPARE_MAX:
        raise BadInput(
            f"models: give {COMPARE_MIN} to {COMPARE_MAX} distinct slugs separated by commas; "
            f"got {len(unique)}"
        )
    known = set(queries.existing_slugs(session, slugs=unique))
    unknown = [slug for slug in unique if slug not in known]
    if not known:
        raise NotFound(f"models: no model with slug {', '.join(map(repr, unknown))}")
    models = queries.models_by_slug(session, slugs=[s for s in unique if s in known])
    dumped = [m.model_dump(mode="json") for m in models]
    fields = [f for f in ModelPublic.model_fields if f not in NOT_COMPARED]
    differing = [f for f in fields if len({repr(d[f]) for d in dumped}) > 1]
    evaluations = queries.evaluations_by_model(session, slugs=[m.slug for m in models])
    return {
        "models": models,
        "fields": fields,
        "differing": differing,
        "placements": {m.slug: placement_of(m, fit=fit) for m in models},
        "evaluations": aligned_evaluations([m.slug for m in models], evaluations),
        "unknown": unknown,
        "warnings": [
            f"models: no model with slug {slug!r}; compared the others" for slug in unknown
        ],
    }


def aligned_evaluations(
    slugs: list[str], evaluations: dict[str, list[EvaluationPublic]]
) -> list[dict[str, Any]]:
    """One row per (benchmark, shots) with each model's score or None, sorted by benchmark.

    Scores are only comparable at the same number of shots (docs/SCIENCE.md section 1), so MMLU
    5-shot and MMLU 0-shot are separate rows. Rows scored by most models come first within a
    benchmark.
    """
    rows: dict[tuple[str, str, int | None], dict[str, Any]] = {}
    for slug in slugs:
        for e in evaluations.get(slug, []):
            row = rows.setdefault(
                (e.benchmark, e.metric, e.shots),  # never mix metrics in one row
                {
                    "benchmark": e.benchmark,
                    "benchmark_name": e.benchmark_name or e.benchmark,
                    "metric": e.metric,
                    "shots": e.shots,
                    "scores": dict.fromkeys(slugs),
                },
            )
            if row["scores"][slug] is None:  # the first recorded score of that setting
                row["scores"][slug] = e.model_dump(mode="json")
    return sorted(
        rows.values(),
        key=lambda r: (
            r["benchmark_name"].lower(),
            r["metric"],
            -sum(v is not None for v in r["scores"].values()),
            -1 if r["shots"] is None else r["shots"],
        ),
    )
