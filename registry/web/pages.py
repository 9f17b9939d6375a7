"""The knowledge-base pages: the model table, a model, a family and a comparison.

Each handler calls the function its JSON twin calls (``views.model_table``, ``views.model_detail``,
``queries.get_family``, ``views.compare``) and links that twin.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from registry.calc import DEFAULT_FIT
from registry.http.deps import SessionDep
from registry.models import (
    Access,
    ArchitectureKind,
    Modality,
    ModelArchitecture,
    ModelPublic,
    Openness,
    Stage,
)
from registry.services import views
from registry.services.calculator import fit_choices, resolve_fit
from registry.store import queries
from registry.store.filters import SORTABLE, ModelFilters
from registry.web import datasets
from registry.web.charts import render_chart
from registry.web.charts.explore import bars_chart, family_chart
from registry.web.charts.placement import models_chart, placement_chart
from registry.web.forms import model_filters, slugs
from registry.web.rendering import count, field_value, number, page, with_query

router = APIRouter(include_in_schema=False)
Fit = Annotated[str | None, Query(max_length=64)]
TABLE_COLUMNS = (
    ("name", "model"),
    ("family", "family"),
    ("organization", "organization"),
    ("release_date", "released"),
    ("access", "access"),
    ("openness", "openness"),
    ("architecture", "arch"),
    ("total_params", "params"),
    ("active_params", "active"),
    ("training_tokens", "tokens"),
    ("tokens_per_param", "tokens/param"),
    ("context_length", "context"),
)
CHOICES = {
    "access": [a.value for a in Access],
    "openness": [o.value for o in Openness],
    "architecture": [a.value for a in ArchitectureKind],
    "stage": [s.value for s in Stage],
    "modality": [m.value for m in Modality],
}


def _sort_links(filters: ModelFilters) -> dict[str, str]:
    """For each sortable column, the query string that sorts by it (again: the other way)."""
    links = {}
    for column in SORTABLE:
        order = f"-{column}" if filters.sort == column else column
        links[column] = filters.model_copy(update={"sort": order, "offset": 0}).query_string()
    return links


def _pages(filters: ModelFilters, count: int) -> dict[str, str | None]:
    """Query strings of the previous and next pages (None at either end)."""
    previous = max(filters.offset - filters.limit, 0)
    after = filters.offset + filters.limit
    return {
        "previous": filters.model_copy(update={"offset": previous}).query_string()
        if filters.offset
        else None,
        "next": filters.model_copy(update={"offset": after}).query_string()
        if after < count
        else None,
    }


@router.get("/", response_class=HTMLResponse)
def model_table(request: Request, session: SessionDep) -> HTMLResponse:
    """The model table: the API's filters as a form, sortable columns, count and CSV link."""
    filters, errors = model_filters(request.query_params)
    query = filters.query_string()
    # The CSV holds every match: limit and offset back to their defaults drop out of the query.
    defaults = ModelFilters()
    export = filters.model_copy(update={"limit": defaults.limit, "offset": 0}).query_string()

    def build() -> dict[str, Any]:
        table = views.model_table(session, filters)
        return {
            **table,
            "filters": filters,
            "errors": errors,
            "columns": TABLE_COLUMNS,
            "sortable": SORTABLE,
            "sort_links": _sort_links(filters),
            "pages": _pages(filters, table["count"]),
            "families": queries.list_families(session),
            "organizations": queries.list_organizations(session),
            "choices": CHOICES,
            "csv_url": with_query("/api/v1/models.csv", export),
        }

    return page(
        request,
        "index.html",
        build,
        json_url=with_query("/api/v1/models", query),
        status_code=422 if errors else 200,
    )


def _chart_row(model: ModelPublic) -> dict[str, Any]:
    return {
        "name": model.name,
        "family": model.family,
        "access": model.access.value,
        "architecture": model.architecture.value if model.architecture else None,
    }


@router.get("/models/{slug}", response_class=HTMLResponse)
def model_page(
    request: Request,
    session: SessionDep,
    slug: Annotated[str, Path(max_length=96)],
    fit: Fit = None,
) -> HTMLResponse:
    """A model: fields with sources, lineage, evaluations and its placement chart."""
    query = urlencode({"fit": fit} if fit else {})

    def build() -> dict[str, Any]:
        detail = views.model_detail(session, slug=slug, fit=fit)
        chart = None
        if detail["placement"] is not None:
            law = resolve_fit(fit)
            key = (queries.data_revision(session), slug, law.name)
            model = _chart_row(detail["model"])
            chart = render_chart(
                key, lambda: placement_chart(law, model, detail["placement"]), name="placement"
            )
        sources = {s.field: s for s in detail["model"].sources}
        return {
            **detail,
            "chart": chart,
            "sources_by_field": sources,
            "fits": list(fit_choices()),
            "fit": fit or DEFAULT_FIT,
        }

    return page(request, "model.html", build, json_url=with_query(f"/api/v1/models/{slug}", query))


@router.get("/families/{slug}", response_class=HTMLResponse)
def family_page(
    request: Request, session: SessionDep, slug: Annotated[str, Path(max_length=64)]
) -> HTMLResponse:
    """A family: its members over time, their sizes and lineage."""

    def build() -> dict[str, Any]:
        family = queries.get_family(session, slug=slug)
        rows = [
            {
                **_chart_row(m),
                "date": datasets.full_date(m.release_date),
                "stage": m.stage.value,
                "total_params": m.total_params,
                "training_tokens": m.training_tokens,
            }
            for m in family["data"]
            if m.release_date and m.total_params
        ]
        chart = None
        if rows:
            key = (queries.data_revision(session), slug)
            chart = render_chart(key, lambda: family_chart(rows), name="family")
        return {"family": family, "chart": chart}

    return page(request, "family.html", build, json_url=f"/api/v1/families/{slug}")


def _compare_charts(revision: str, result: dict[str, Any], fit: str | None) -> list[Any]:
    """The placement of the compared models, their parameters and their context lengths."""
    law = resolve_fit(fit)
    key = (revision, law.name, *(m.slug for m in result["models"]))
    placed = [
        {
            **_chart_row(m),
            "params": p["active_params"],
            "total_params": p["params"],
            "tokens": p["tokens"],
            "tokens_per_param": p["tokens_per_param"],
            "overtrain_factor": p["overtrain_factor"],
        }
        for m in result["models"]
        if (p := result["placements"][m.slug])
    ]
    rows = [
        {**_chart_row(m), "total_params": m.total_params, "context_length": m.context_length}
        for m in result["models"]
    ]
    charts = []
    if placed:
        build = lambda: models_chart(law, placed, labels=True)  # noqa: E731
        charts.append(
            (
                "Placement against the compute-optimal frontier",
                render_chart(key, build, name="compare-placement"),
            )
        )
    for field, title in (
        ("total_params", "total parameters"),
        ("context_length", "context length"),
    ):
        if any(r[field] for r in rows):
            build = lambda f=field, t=title: bars_chart(rows, field=f, title=t, log=False)  # noqa: E731
            charts.append((title.capitalize(), render_chart(key, build, name=f"compare-{field}")))
    return charts


def _cells(models: list[ModelPublic], field: str) -> list[tuple[str, bool]]:
    """Each model's ``field`` as shown: (text, whether the lab left it undisclosed)."""
    return [
        ("undisclosed", True)
        if field in m.undisclosed
        else (field_value(getattr(m, field), field), False)
        for m in models
    ]


def _compared(
    session: Session, revision: str, chosen: list[str], fit: str | None
) -> dict[str, Any]:
    """``views.compare`` and everything the page derives from it, built once per data revision."""
    result = views.compare(session, slugs=chosen, fit=fit)
    models, differing = result["models"], set(result["differing"])
    # Identity, access and size first; the architecture's hyper-parameters after them.
    hyper = [f for f in result["fields"] if f in ModelArchitecture.model_fields]
    fields = [f for f in result["fields"] if f not in hyper] + hyper
    shown = [f for f in fields if any(getattr(m, f) not in (None, []) for m in models)]
    placements = [result["placements"][m.slug] for m in models]
    derived = [
        (f"× compute-optimal ratio ({resolve_fit(fit).name})",
         [number(p["overtrain_factor"]) if p else "—" for p in placements]),
        ("break-even inference tokens",
         [count(p["break_even_inference_tokens"]) if p else "—" for p in placements]),
    ]  # fmt: skip
    return {
        "result": result,
        "fields": fields,
        "differing": differing,
        "rows": [(f, f in differing, _cells(models, f)) for f in shown],
        "derived": derived,
        "charts": _compare_charts(revision, result, fit),
    }


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    session: SessionDep,
    models: Annotated[str | None, Query(max_length=800)] = None,
    add: Annotated[str | None, Query(max_length=96)] = None,
    fit: Fit = None,
) -> Response:
    """Models side by side, differences highlighted, with charts; add and remove models."""
    chosen = slugs(models)
    fit_query = {"fit": fit} if fit else {}
    if add:
        query = {"models": ",".join(slugs(",".join([*chosen, add])))} | fit_query
        return RedirectResponse(f"/compare?{urlencode(query)}", status_code=303)
    query = urlencode({"models": ",".join(chosen)} | fit_query)

    def build() -> dict[str, Any]:
        revision = queries.data_revision(session)
        everyone = datasets.per_revision(
            revision, ("choices",),
            lambda: sorted((m.name, m.slug) for m in datasets.all_models(session)),
        )  # fmt: skip
        remove = {
            s: urlencode({"models": ",".join(o for o in chosen if o != s)} | fit_query)
            for s in chosen
        }
        context: dict[str, Any] = {
            "chosen": chosen,
            "choices": [(name, slug) for name, slug in everyone if slug not in chosen],
            "fit": fit or DEFAULT_FIT,
            "fits": list(fit_choices()),
            "result": None,
            "charts": [],
            "remove_links": remove,
        }
        if len(chosen) >= views.COMPARE_MIN:
            key = ("compare", *chosen, fit)
            context |= datasets.per_revision(
                revision, key, lambda: _compared(session, revision, chosen, fit)
            )
        return context

    return page(request, "compare.html", build, json_url=with_query("/api/v1/compare", query))
