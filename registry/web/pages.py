"""The knowledge-base pages: the model table, a model, a family and a comparison.

Each handler calls the function its JSON twin calls (``views.model_table``, ``views.model_detail``,
``queries.get_family``, ``views.compare``) and links that twin.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from registry.calc import DEFAULT_FIT
from registry.http.deps import SessionDep
from registry.http.revision import PinnedSessionDep
from registry.models import ModelPublic
from registry.services import history, views
from registry.services.calculator import resolve_fit
from registry.store import queries
from registry.web import datasets
from registry.web.charts import Chart, render_chart
from registry.web.charts.explore import family_chart
from registry.web.charts.placement import placement_chart
from registry.web.comparison import LABELS
from registry.web.rendering import count, gigabytes, page, power10, tokens, with_query

router = APIRouter(include_in_schema=False)
Fit = Annotated[str | None, Query(max_length=64)]


def _chart_row(model: ModelPublic) -> dict[str, Any]:
    return {
        "slug": model.slug,
        "name": model.name,
        "family": model.family,
        "access": model.access.value,
        "architecture": model.architecture.value if model.architecture else None,
    }


def _facts(model: ModelPublic, names: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """The few numbers a reader looks for first, with their units."""
    facts = []

    def known(field: str) -> bool:
        return getattr(model, field) is not None and field not in model.undisclosed

    def shown(field: str, text: str) -> str:
        return "undisclosed" if field in model.undisclosed else text

    facts.append(("released", model.release_date or "—"))
    facts.append(("total parameters", shown("total_params", count(model.total_params))))
    if model.active_params and model.active_params != model.total_params:
        facts.append(("active per token", count(model.active_params)))
    facts.append(("training tokens", shown("training_tokens", count(model.training_tokens))))
    if known("training_flops"):
        facts.append(("training compute", f"{power10(model.training_flops)} FLOPs"))
    if known("context_length"):
        facts.append(("context", tokens(model.context_length) + " tokens"))
    if known("total_params"):
        facts.append(("weights in 16-bit", gigabytes(2 * (model.total_params or 0))))
    facts.append(("licence", model.license or model.openness.value))
    return facts


def model_chart(detail: dict[str, Any], fit: str | None) -> Chart | None:
    """The model page's chart of ``views.model_detail``'s answer under ``fit``: the model
    against the scaling law (None without a placement). Keyed by what it draws, not by the
    revision: a load that leaves this model's numbers alone finds its chart drawn."""
    if detail["placement"] is None:
        return None
    law = resolve_fit(fit)
    model = _chart_row(detail["model"])
    placement = detail["placement"]
    return render_chart(
        (law.name, law.as_dict(), model, placement),
        lambda: placement_chart(law, model, placement),
        name="placement",
        narrow=lambda width: placement_chart(law, model, placement, width=width),
        durable=True,
    )


def family_rows(members: list[ModelPublic]) -> list[dict[str, Any]]:
    """The family chart's rows: the members with a release date and a size."""
    return [
        {
            **_chart_row(m),
            "date": datasets.full_date(m.release_date),
            "stage": m.stage.value,
            "total_params": m.total_params,
            "training_tokens": m.training_tokens,
        }
        for m in members
        if m.release_date and m.total_params
    ]


def family_members_chart(rows: list[dict[str, Any]]) -> Chart | None:
    """The family page's chart of ``family_rows`` (None without any)."""
    if not rows:
        return None
    return render_chart(
        (rows,),
        lambda: family_chart(rows),
        name="family",
        narrow=lambda width: family_chart(rows, width=width),
        durable=True,
    )


@router.get("/models/{slug}", response_class=HTMLResponse)
def model_page(
    request: Request,
    session: PinnedSessionDep,
    slug: Annotated[str, Path(max_length=96)],
    fit: Fit = None,
) -> HTMLResponse:
    """A model: its facts, its placement in a sentence and a chart, fields with named sources."""
    query = urlencode({"fit": fit} if fit else {})

    def build() -> dict[str, Any]:
        detail = views.model_detail(session, slug=slug, fit=fit)
        revision = queries.data_revision(session)
        names = datasets.names(session, revision)
        sources = {s.field: s for s in detail["model"].sources}
        return {
            **detail,
            "chart": model_chart(detail, fit),
            "facts": _facts(detail["model"], names),
            "names": names,
            "field_labels": LABELS,
            "sources_by_field": sources,
            "fit": fit or DEFAULT_FIT,
            "history": history.model_history(session, slug=slug)["data"],
        }

    return page(request, "model.html", build, json_url=with_query(f"/api/v1/models/{slug}", query))


@router.get("/families/{slug}", response_class=HTMLResponse)
def family_page(
    request: Request, session: SessionDep, slug: Annotated[str, Path(max_length=64)]
) -> HTMLResponse:
    """A family: its members over time, their sizes and lineage."""

    def build() -> dict[str, Any]:
        family = queries.get_family(session, slug=slug)
        rows = family_rows(family["data"])
        chart = family_members_chart(rows)
        revision = queries.data_revision(session)
        left_out = [
            f"{m.name} ({'release date' if not m.release_date else 'parameters'} "
            f"{'undisclosed' if 'total_params' in m.undisclosed else 'not recorded'})"
            for m in family["data"]
            if not (m.release_date and m.total_params)
        ]
        names = datasets.names(session, revision)
        organization = family["organization"]
        organization_name = names["organization"].get(organization, organization)
        return {
            "family": family,
            "chart": chart,
            "left_out": left_out,
            "organization_name": organization_name,
        }

    return page(request, "family.html", build, json_url=f"/api/v1/families/{slug}")
