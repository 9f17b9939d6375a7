"""Tables the chart pages draw, built from ``registry.store.queries`` and ``registry.calc``.

Each is computed once per data revision (and fit) and kept in ``data_cache``: a page then costs
a revision lookup, not a scan of the knowledge base.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlmodel import Session

from registry.calc import Law, place_many
from registry.models import ModelPublic
from registry.store import queries
from registry.store.filters import ModelFilters
from registry.web.charts.render import data_cache, once

T = TypeVar("T")
PLACED_COLUMNS = (
    "flops",
    "tokens_per_param",
    "loss",
    "optimal_params",
    "optimal_tokens",
    "overtrain_factor",
    "loss_gap",
    "break_even_inference_tokens",
)


def per_revision(revision: str, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """``build()``, computed once per data ``revision`` and ``key``."""
    return once(data_cache, (revision, *key), build)


def names(session: Session, revision: str) -> dict[str, dict[str, str]]:
    """Family, organization and model names by slug, for pages that show names, not slugs."""

    def build() -> dict[str, dict[str, str]]:
        return {
            "family": {f["slug"]: f["name"] for f in queries.list_families(session)},
            "organization": {o["slug"]: o["name"] for o in queries.list_organizations(session)},
            "model": {slug: name for slug, name, _ in queries.model_names(session)},
        }

    return per_revision(revision, ("names",), build)


def all_models(session: Session) -> list[ModelPublic]:
    """Every model, oldest first."""
    return queries.matching_models(session, filters=ModelFilters(sort="release_date"))


def models(session: Session, revision: str) -> list[ModelPublic]:
    """Every model, oldest first, read once per data ``revision`` for every page that needs it."""
    return per_revision(revision, ("models",), lambda: all_models(session))


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _identity(model: ModelPublic) -> dict[str, Any]:
    return {
        "slug": model.slug,
        "name": model.name,
        "family": model.family,
        "organization": model.organization,
        "access": model.access.value,
        "architecture": model.architecture.value if model.architecture else None,
        "release_date": model.release_date,
    }


def placed_rows(models: list[ModelPublic], law: Law) -> list[dict[str, Any]]:
    """Every model with parameters and tokens, placed by ``calc.place_many`` (active N for MoE)."""
    known = [m for m in models if m.total_params and m.training_tokens]
    if not known:
        return []
    frame = place_many(
        [float(m.total_params or 0) for m in known],
        [float(m.training_tokens or 0) for m in known],
        active_params=[float(m.active_params or "nan") for m in known],
        fit=law,
    )
    rows = []
    for model, (_, placed) in zip(known, frame.iterrows(), strict=True):
        rows.append(
            {
                **_identity(model),
                "total_params": model.total_params,
                "params": float(placed["active_params"]),
                "tokens": float(model.training_tokens or 0),
                **{name: _finite(placed[name]) for name in PLACED_COLUMNS},
            }
        )
    return rows


def moe_rows(models: list[ModelPublic]) -> list[dict[str, Any]]:
    """MoE models split into shared and routed-expert parameters (docs/SCIENCE.md §7).

    With E routed experts of which k run per token, active = total - routed (1 - k/E), so
    routed = (total - active) / (1 - k/E) and everything else (attention, embeddings, norms,
    shared experts) is shared. Replicating a whole dense model E times would give
    E * (shared + routed / E): Mixtral's "8x7B" would be ~56B, not 46.7B.
    """
    rows = []
    for m in models:
        if m.architecture is None or m.architecture.value != "moe" or not m.total_params:
            continue
        row: dict[str, Any] = {
            **_identity(m),
            "total_params": m.total_params,
            "active_params": m.active_params,
            "experts": m.experts,
            "experts_per_token": m.experts_per_token,
            "shared_experts": m.shared_experts,
            "routed_params": None,
            "shared_params": None,
            "naive_params": None,
        }
        if (
            m.active_params
            and m.experts
            and m.experts_per_token
            and m.experts > m.experts_per_token
        ):
            routed = (m.total_params - m.active_params) / (1 - m.experts_per_token / m.experts)
            shared = m.total_params - routed
            row |= {
                "routed_params": routed,
                "shared_params": shared,
                "naive_params": m.experts * (shared + routed / m.experts),
            }
        rows.append(row)
    return rows


def full_date(partial: str | None) -> str | None:
    """'2024-06' -> '2024-06-01': a date every chart library parses the same way."""
    if partial is None:
        return None
    return (partial + "-01-01")[:10] if len(partial) == 4 else (partial + "-01")[:10]


def context_rows(models: list[ModelPublic]) -> list[dict[str, Any]]:
    """Models with a release date and a context length, oldest first."""
    return [
        {
            **_identity(m),
            "date": full_date(m.release_date),
            "context_length": m.context_length,
            "max_output_tokens": m.max_output_tokens,
        }
        for m in models
        if m.release_date and m.context_length
    ]


def evaluation_rows(session: Session, models: list[ModelPublic]) -> list[dict[str, Any]]:
    """Every evaluation of a model whose training compute is known, with that compute."""
    rows = []
    evaluations = queries.evaluations_by_model(session)
    for m in models:
        if not m.training_flops:
            continue
        for e in evaluations.get(m.slug, []):
            rows.append(
                {
                    **_identity(m),
                    "training_flops": m.training_flops,
                    "benchmark": e.benchmark,
                    "benchmark_name": e.benchmark_name,
                    "score": e.score,
                    "metric": e.metric,
                    "shots": e.shots,
                    "setting": shots_setting(e.shots),
                    "chain_of_thought": e.chain_of_thought,
                    "source": e.source,
                }
            )
    return rows


def shots_setting(shots: int | None) -> str:
    """'zero-shot', 'few-shot' or 'unstated' (docs/SCIENCE.md §1: 0 = zero-shot, k = few-shot)."""
    if shots is None:
        return "unstated"
    return "zero-shot" if shots == 0 else "few-shot"
