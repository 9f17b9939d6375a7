"""The landscape pages: ``/scaling``, ``/moe``, ``/context`` and ``/evaluations``.

These pages have no ``/api/v1`` counterpart, so each serves its own JSON twin at ``<path>.json``
(same query string): the one dict ``build`` returns is rendered as HTML or as JSON, as Datasette
does, so the chart and the data can never disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic_core import to_json
from sqlmodel import Session

from registry.calc.placement import MOE_NOTE
from registry.errors import RegistryError
from registry.http.deps import SessionDep
from registry.services.calculator import fit_choices, resolve_fit
from registry.store import queries
from registry.web import datasets, picker
from registry.web.charts import render_chart
from registry.web.charts.explore import (
    COARSE_EXPERTS,
    context_chart,
    evaluations_chart,
    moe_scatter_chart,
    moe_split_chart,
)
from registry.web.charts.frame import (
    RULE_OF_THUMB_TOKENS_PER_PARAM,
    WIDTH,
    Domain,
    domain_around,
    iso_flop_budgets,
)
from registry.web.charts.placement import models_chart
from registry.web.rendering import page, with_query

router = APIRouter(include_in_schema=False)
Fit = Annotated[str | None, Query(max_length=64)]
DEFAULT_BENCHMARK = "mmlu"
Build = Callable[[], dict[str, Any]]
SCALING_LABELS = 14  # names on /scaling: the largest runs that fit without overlapping


def _respond(request: Request, template: str, build: Build, *, json: bool) -> Response:
    """The page, or (``json``) the same dict as JSON, without its rendered charts."""
    path = request.url.path.removesuffix(".json")
    twin = with_query(f"{path}.json", request.url.query)
    if not json:
        return page(request, template, build, json_url=twin)
    try:
        data = {key: value for key, value in build().items() if key != "charts"}
    except RegistryError as exc:
        return Response(
            to_json({"detail": exc.message}),
            status_code=exc.status_code,
            media_type="application/json",
        )
    return Response(to_json(data), media_type="application/json")


def _models(session: Session, revision: str) -> list[Any]:
    return datasets.models(session, revision)


def _scaling(session: Session, fit: str | None, highlight: str | None = None) -> Build:
    def build() -> dict[str, Any]:
        law = resolve_fit(fit)
        revision = queries.data_revision(session)
        models = _models(session, revision)
        rows = datasets.per_revision(
            revision, ("placed", law.name), lambda: datasets.placed_rows(models, law)
        )
        options = picker.choices(session)
        chosen = picker.resolve(highlight, options) if highlight else None
        # Names go to the largest training runs first: the models people know.
        ranked = sorted(rows, key=lambda r: -(r["flops"] or 0))
        labels = SCALING_LABELS

        def chart(width: int = WIDTH) -> Any:
            limit = labels if width >= WIDTH else labels // 2
            return models_chart(
                law, ranked, labels=True, label_limit=limit, highlight=chosen, width=width
            )

        rendered = render_chart(
            (revision, law.name, law.as_dict(), chosen),
            chart,
            name="scaling",
            narrow=chart,
            durable=True,
        )
        placed = {r["slug"] for r in rows}
        left_out = [m for m in models if m.slug not in placed]
        return {
            "fit": law.as_dict(),
            "fits": list(fit_choices()),
            "count": len(rows),
            "data": rows,
            "tokens_per_param_rule": RULE_OF_THUMB_TOKENS_PER_PARAM,
            "iso_flops": iso_flop_budgets(_domain_of(rows)),
            "moe_note": MOE_NOTE,
            "highlight": chosen,
            "highlight_query": highlight,
            "highlight_missing": bool(highlight) and chosen is None,
            "highlight_row": next((r for r in rows if r["slug"] == chosen), None),
            "highlight_left_out": next((m.name for m in left_out if m.slug == chosen), None),
            "left_out": left_out_reasons(left_out),
            "choices": options,
            "charts": [rendered],
        }

    return build


def left_out_reasons(models: list[Any]) -> dict[str, list[str]]:
    """Models /scaling cannot place, by reason: 'training tokens undisclosed': [names]."""
    reasons: dict[str, list[str]] = {}
    for m in models:
        field = "parameters" if not m.total_params else "training tokens"
        name = "total_params" if not m.total_params else "training_tokens"
        state = "undisclosed" if name in m.undisclosed else "not recorded"
        reasons.setdefault(f"{field} {state}", []).append(m.name)
    return dict(sorted(reasons.items(), key=lambda item: -len(item[1])))


def _domain_of(rows: list[dict[str, Any]]) -> Domain:
    return domain_around([r["params"] for r in rows], [r["tokens"] for r in rows])


Highlight = Annotated[str | None, Query(max_length=200)]


@router.get("/scaling", response_class=HTMLResponse)
def scaling(
    request: Request, session: SessionDep, fit: Fit = None, highlight: Highlight = None
) -> Response:
    """Parameters against training tokens for every model, with the frontier and iso-FLOP lines;
    ``highlight`` (a name, part of one, or a slug) rings one model and names it."""
    return _respond(request, "scaling.html", _scaling(session, fit, highlight), json=False)


@router.get("/scaling.json")
def scaling_json(
    request: Request, session: SessionDep, fit: Fit = None, highlight: Highlight = None
) -> Response:
    """The data of ``/scaling``: every placed model, the fit and the lines drawn."""
    return _respond(request, "scaling.html", _scaling(session, fit, highlight), json=True)


def _why_not_split(row: dict[str, Any]) -> str:
    if row["naive_params"] and row["experts"] > COARSE_EXPERTS:
        return f"{row['experts']} fine-grained experts: no dense size to multiply"
    return "expert counts or active parameters not recorded"


def _moe(session: Session) -> Build:
    def build() -> dict[str, Any]:
        revision = queries.data_revision(session)
        rows = datasets.moe_rows(_models(session, revision))
        charts = []
        if rows:
            charts = [
                render_chart(
                    (revision,),
                    lambda: moe_split_chart(rows),
                    name="moe-split",
                    narrow=lambda width: moe_split_chart(rows, width=width),
                    durable=True,
                ),
                render_chart(
                    (revision,),
                    lambda: moe_scatter_chart(rows),
                    name="moe-scatter",
                    narrow=lambda width: moe_scatter_chart(rows, width=width),
                    durable=True,
                ),
            ]
        split = {r["slug"] for r in rows if r["naive_params"] and r["experts"] <= COARSE_EXPERTS}
        return {
            "count": len(rows),
            "data": rows,
            "charts": charts,
            "left_out_split": [
                f"{r['name']} ({_why_not_split(r)})" for r in rows if r["slug"] not in split
            ],
            "left_out_scatter": [
                f"{r['name']} (active parameters not recorded)"
                for r in rows
                if not r["active_params"]
            ],
        }

    return build


@router.get("/moe", response_class=HTMLResponse)
def moe(request: Request, session: SessionDep) -> Response:
    """Mixture-of-experts models: total against active parameters, and why 8x7B is ~47B."""
    return _respond(request, "moe.html", _moe(session), json=False)


@router.get("/moe.json")
def moe_json(request: Request, session: SessionDep) -> Response:
    """The data of ``/moe``."""
    return _respond(request, "moe.html", _moe(session), json=True)


def _context(session: Session) -> Build:
    def build() -> dict[str, Any]:
        revision = queries.data_revision(session)
        models = _models(session, revision)
        rows = datasets.context_rows(models)
        charts = []
        if rows:
            charts = [
                render_chart(
                    (revision,),
                    lambda: context_chart(rows),
                    name="context",
                    narrow=lambda width: context_chart(rows, width=width),
                    durable=True,
                )
            ]
        drawn = {r["slug"] for r in rows}
        left_out = [
            f"{m.name} ({'release date' if not m.release_date else 'context length'} not recorded)"
            for m in models
            if m.slug not in drawn
        ]
        return {"count": len(rows), "data": rows, "charts": charts, "left_out": left_out}

    return build


@router.get("/context", response_class=HTMLResponse)
def context(request: Request, session: SessionDep) -> Response:
    """Context length over time."""
    return _respond(request, "context.html", _context(session), json=False)


@router.get("/context.json")
def context_json(request: Request, session: SessionDep) -> Response:
    """The data of ``/context``."""
    return _respond(request, "context.html", _context(session), json=True)


def _evaluations(session: Session, benchmark: str | None) -> Build:
    def build() -> dict[str, Any]:
        revision = queries.data_revision(session)
        every = datasets.per_revision(
            revision,
            ("evaluations",),
            lambda: datasets.evaluation_rows(session, _models(session, revision)),
        )
        counts = Counter(r["benchmark"] for r in every)
        names = {r["benchmark"]: r["benchmark_name"] for r in every}
        chosen = benchmark or (DEFAULT_BENCHMARK if DEFAULT_BENCHMARK in counts else None)
        rows = [r for r in every if r["benchmark"] == chosen]
        # One chart per metric: accuracy, pass@1 and exact match are never drawn together.
        metrics = sorted(Counter(r["metric"] for r in rows).items(), key=lambda i: (-i[1], i[0]))
        charts = []
        for metric, _ in metrics:
            subset = [r for r in rows if r["metric"] == metric]
            title = f"{names[str(chosen)]}, {metric}"
            build_chart = lambda s=subset, t=title: evaluations_chart(s, benchmark=t)  # noqa: E731
            charts.append(
                render_chart(
                    (revision, chosen, metric), build_chart, name="evaluations", durable=True
                )
            )
        return {
            "benchmark": chosen,
            "benchmark_name": names.get(str(chosen), chosen),
            "benchmarks": [
                (slug, names[slug], n)
                for slug, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            ],
            "metrics": dict(metrics),
            "count": len(rows),
            "data": rows,
            "settings": dict(Counter(r["setting"] for r in rows)),
            "charts": charts,
        }

    return build


Benchmark = Annotated[str | None, Query(max_length=64)]


@router.get("/evaluations", response_class=HTMLResponse)
def evaluations(request: Request, session: SessionDep, benchmark: Benchmark = None) -> Response:
    """Scores of one benchmark against training compute: one chart per metric, zero-shot and
    few-shot apart."""
    return _respond(request, "evaluations.html", _evaluations(session, benchmark), json=False)


@router.get("/evaluations.json")
def evaluations_json(
    request: Request, session: SessionDep, benchmark: Benchmark = None
) -> Response:
    """The data of ``/evaluations``."""
    return _respond(request, "evaluations.html", _evaluations(session, benchmark), json=True)
