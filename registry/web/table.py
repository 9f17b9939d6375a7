"""``/``: the explorer. The API's filters as facets with counts, every column sortable, a compare
checkbox on every row (``docs/PAGES.md``). The table is ``views.model_table``, as for
``/api/v1/models``; the facet counts are ``views.facet_options``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from registry.http.deps import SessionDep
from registry.models import Access, ArchitectureKind, Modality, Openness, Stage
from registry.services import views
from registry.store import queries
from registry.store.filters import SORTABLE, ModelFilters
from registry.store.selection import UNKNOWN
from registry.web.forms import model_filters
from registry.web.rendering import page, with_query

router = APIRouter(include_in_schema=False)
# (sort key, heading): every column sorts by its own field.
TABLE_COLUMNS = (
    ("name", "Model"),
    ("organization", "Organization"),
    ("release_date", "Released"),
    ("access", "Access"),
    ("total_params", "Params"),
    ("active_params", "Active"),
    ("context_length", "Context"),
    ("training_tokens", "Tokens"),
    ("tokens_per_param", "Tokens / param"),
    ("training_flops", "Compute (FLOPs)"),
    ("architecture", "Arch."),
    ("stage", "Stage"),
    ("openness", "Openness"),
    ("family", "Family"),
)
SORT_LABELS = dict(TABLE_COLUMNS) | {
    "slug": "Slug",
    "max_output_tokens": "Max output",
}
NOT_FILTERS = {"sort", "limit", "offset", "facet"}
CHOICES = {
    "access": [a.value for a in Access],
    "openness": [o.value for o in Openness],
    "architecture": [a.value for a in ArchitectureKind],
    "stage": [s.value for s in Stage],
    "modality": [m.value for m in Modality],
}
# The facets in the order shown, with their headings; family and organization show names.
FACET_TITLES = (
    ("access", "Access"),
    ("openness", "Openness"),
    ("architecture", "Architecture"),
    ("stage", "Stage"),
    ("input_modality", "Input modalities (all of)"),
    ("output_modality", "Output modalities (all of)"),
    ("organization", "Organization"),
    ("family", "Family"),
)


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


def _facets(
    options: dict[str, dict[str, int]], filters: ModelFilters, labels: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Each facet as the form shows it: (value, label, count, ticked), ticked values kept even
    when nothing else would match them."""
    facets = []
    for name, title in FACET_TITLES:
        ticked = {str(getattr(v, "value", v)) for v in getattr(filters, name)}
        counts = options.get(name, {})
        values = list(counts) + sorted(ticked - set(counts))
        names = labels.get(name, {})
        rows = [
            (value, names.get(value, value), counts.get(value, 0), value in ticked)
            for value in values
            if value != UNKNOWN  # no filter selects "not recorded"
        ]
        order = (
            CHOICES["modality" if name.endswith("_modality") else name]
            if (name not in ("family", "organization"))
            else []
        )
        rows.sort(key=lambda row: (order.index(row[0]) if row[0] in order else 0, row[1].lower()))
        facets.append({"name": name, "title": title, "options": rows, "ticked": len(ticked)})
    return facets


@router.get("/", response_class=HTMLResponse)
def model_table(request: Request, session: SessionDep) -> HTMLResponse:
    """The explorer: facets with counts, sortable columns, compare checkboxes, count and CSV."""
    filters, errors = model_filters(request.query_params)
    query = filters.query_string()
    # The CSV holds every match: limit and offset back to their defaults drop out of the query.
    export = filters.model_copy(update={"limit": ModelFilters().limit, "offset": 0}).query_string()

    def build() -> dict[str, Any]:
        table = views.model_table(session, filters)
        families = {f["slug"]: f["name"] for f in queries.list_families(session)}
        organizations = {o["slug"]: o["name"] for o in queries.list_organizations(session)}
        labels = {"family": families, "organization": organizations}
        return {
            **table,
            "filters": filters,
            "errors": errors,
            "columns": TABLE_COLUMNS,
            "sortable": SORTABLE,
            "sort_labels": SORT_LABELS,
            "sort_links": _sort_links(filters),
            "pages": _pages(filters, table["count"]),
            "facets": _facets(views.facet_options(session, filters), filters, labels),
            "active_filters": len(filters.model_fields_set - NOT_FILTERS),
            "family_names": families,
            "organization_names": organizations,
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
