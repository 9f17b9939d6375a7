"""``/compare``: up to eight models side by side, grouped rows, sources per cell, charts.

The page calls ``views.compare`` as ``/api/v1/compare`` does. Unlike the API it never refuses:
more than COMPARE_MAX models keeps the first eight and says which were dropped, an unknown slug is
named in a warning while the others are compared, and what was typed in the picker is resolved to
a model by name (``picker.resolve``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from registry.calc import DEFAULT_FIT, FIT_DESCRIPTIONS
from registry.http.revision import PinnedSessionDep
from registry.services import views
from registry.services.calculator import resolve_fit
from registry.store import queries
from registry.web import datasets, picker
from registry.web.charts import render_chart
from registry.web.charts.explore import bars_chart
from registry.web.charts.placement import models_chart
from registry.web.comparison import PLACEMENT_NEEDS, field_groups, left_out
from registry.web.forms import slugs
from registry.web.rendering import page, with_query

router = APIRouter(include_in_schema=False)
Fit = Annotated[str | None, Query(max_length=64)]
ONLY_DIFFERENCES = "differences"


def _chart_row(model: Any) -> dict[str, Any]:
    return {
        "slug": model.slug,
        "name": model.name,
        "family": model.family,
        "access": model.access.value,
        "architecture": model.architecture.value if model.architecture else None,
    }


def _charts(result: dict[str, Any], fit: str | None) -> list[dict[str, Any]]:
    """Placement, total parameters and context length; each names the models it leaves out."""
    law = resolve_fit(fit)
    models = result["models"]
    # Keyed by what the charts draw (each chart's rows and the fit), not by the revision.
    placed = [
        {
            **_chart_row(m),
            "params": p["active_params"],
            "total_params": p["params"],
            "tokens": p["tokens"],
            "tokens_per_param": p["tokens_per_param"],
            "overtrain_factor": p["overtrain_factor"],
        }
        for m in models
        if (p := result["placements"][m.slug])
    ]
    rows = [
        {**_chart_row(m), "total_params": m.total_params, "context_length": m.context_length}
        for m in models
    ]
    charts = []
    if placed:
        charts.append(
            {
                "title": "Placement against the compute-optimal frontier",
                "chart": render_chart(
                    (law.name, law.as_dict(), placed),
                    lambda: models_chart(law, placed, labels=True),
                    name="compare-placement",
                    narrow=lambda width: models_chart(law, placed, labels=True, width=width),
                    durable=True,
                ),
                "left_out": left_out(models, PLACEMENT_NEEDS),
            }
        )
    for name, title in (("total_params", "total parameters"), ("context_length", "context length")):
        if any(r[name] for r in rows):
            charts.append(
                {
                    "title": title.capitalize(),
                    "chart": render_chart(
                        (rows,),
                        lambda f=name, t=title: bars_chart(rows, field=f, title=t, log=False),
                        name=f"compare-{name}",
                        narrow=lambda width, f=name, t=title: bars_chart(
                            rows, field=f, title=t, log=False, width=width
                        ),
                        durable=True,
                    ),
                    "left_out": left_out(models, (name,)),
                }
            )
    return charts


def _compared(
    session: Session, revision: str, chosen: list[str], fit: str | None
) -> dict[str, Any]:
    """``views.compare`` and what the page derives from it, built once per data revision."""
    result = views.compare(session, slugs=chosen, fit=fit)
    groups = field_groups(result, datasets.names(session, revision), fit)
    return {
        "result": result,
        "groups": groups,
        "differing": sum(g.differing for g in groups),
        "row_count": sum(len(g.rows) for g in groups),
        "charts": _charts(result, fit),
    }


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    session: PinnedSessionDep,
    models: Annotated[str | None, Query(max_length=2000)] = None,
    add: Annotated[str | None, Query(max_length=200)] = None,
    only: Annotated[str | None, Query(max_length=32)] = None,
    fit: Fit = None,
) -> Response:
    """Models side by side, grouped, differences highlighted (or alone), with charts."""
    # "a,b" or, from the explorer's and the family page's checkboxes, models=a&models=b.
    asked = slugs(",".join(request.query_params.getlist("models")) or models)
    keep = {"fit": fit} if fit else {}
    if only == ONLY_DIFFERENCES:
        keep["only"] = ONLY_DIFFERENCES
    if add is not None:
        options = picker.choices(session)
        found = picker.resolve(add, options) or add.strip()
        query = {"models": ",".join(slugs(",".join([*asked, found])))} | keep
        return RedirectResponse(f"/compare?{urlencode(query)}", status_code=303)
    chosen, dropped = asked[: views.COMPARE_MAX], asked[views.COMPARE_MAX :]
    query = urlencode({"models": ",".join(chosen)} | ({"fit": fit} if fit else {}))

    def build() -> dict[str, Any]:
        revision = queries.data_revision(session)
        options = picker.choices(session)
        by_slug = {o.slug: o for o in options}
        unknown = [s for s in chosen if s not in by_slug]
        known = [s for s in chosen if s in by_slug]
        warnings = [
            f"No model called “{s}”: it is left out, the others are compared." for s in unknown
        ]
        if dropped:
            warnings.insert(
                0,
                f"A comparison holds at most {views.COMPARE_MAX} models; you asked for "
                f"{len(asked)}, so the first {views.COMPARE_MAX} are shown and "
                + ", ".join(by_slug[s].name if s in by_slug else s for s in dropped)
                + " left out. Remove one to make room.",
            )
        remove = {
            s: "/compare?" + urlencode({"models": ",".join(o for o in chosen if o != s)} | keep)
            for s in chosen
        }
        only_differences = only == ONLY_DIFFERENCES
        toggle = {k: v for k, v in keep.items() if k != "only"}
        if not only_differences:
            toggle["only"] = ONLY_DIFFERENCES
        context: dict[str, Any] = {
            "chosen": [(s, by_slug[s].name if s in by_slug else s, s in by_slug) for s in chosen],
            "choices": [o for o in options if o.slug not in chosen],
            "full": len(chosen) >= views.COMPARE_MAX,
            "warnings": warnings,
            "fit": fit or DEFAULT_FIT,
            "fit_descriptions": FIT_DESCRIPTIONS,
            "only_differences": only_differences,
            "toggle_url": "/compare?" + urlencode({"models": ",".join(chosen)} | toggle),
            "result": None,
            "charts": [],
            "remove_links": remove,
            "models_value": ",".join(chosen),
        }
        if len(known) >= views.COMPARE_MIN:
            key = ("compare", *known, fit)
            context |= datasets.per_revision(
                revision, key, lambda: _compared(session, revision, known, fit)
            )
        return context

    return page(request, "compare.html", build, json_url=with_query("/api/v1/compare", query))
