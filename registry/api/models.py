"""``/api/v1/models``: list, export, detail and placement of models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from registry.api.schemas import ERRORS, ModelDetailPublic, PlacementPublic
from registry.http.deps import SessionDep
from registry.http.params import openapi_query, parse_query
from registry.http.responses import json_response
from registry.http.revision import PinnedModelFilters, PinnedSessionDep, pinned_session
from registry.models import ModelPublic, ModelsPublic
from registry.services import exports, views
from registry.store import queries
from registry.store.filters import ModelFilters

router = APIRouter(prefix="/api/v1", tags=["models"], responses=ERRORS)
Filters = Annotated[ModelFilters, Query()]
Slug = Annotated[str, Path(max_length=96, examples=["mixtral-8x7b"])]
Fit = Annotated[
    str | None,
    Query(
        max_length=64, description="Coefficient set (default epoch2024).", examples=["epoch2024"]
    ),
]


@router.get("/models", response_model=ModelsPublic, openapi_extra=openapi_query(PinnedModelFilters))
async def list_models(request: Request) -> Response:
    """Models matching every filter given, a page at a time, with the total count."""
    filters = parse_query(request, PinnedModelFilters)

    def read() -> bytes:
        with pinned_session(request, filters.revision) as session:
            return views.model_table_json(session, filters)

    # One worker thread for the whole read: the answer is stored JSON documents put together,
    # so no model is built and nothing else needs the thread (docs/PERFORMANCE.md).
    return Response(await run_in_threadpool(read), media_type="application/json")


def _all_matching(session: SessionDep, filters: ModelFilters) -> list[ModelPublic]:
    """Every matching model for an export (limit and offset apply only when given)."""
    if {"limit", "offset"} & filters.model_fields_set:
        return queries.list_models(session, filters=filters)[0]
    return queries.matching_models(session, filters=filters)


@router.get("/models.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(session: SessionDep, filters: Filters) -> Response:
    """The matching models as CSV (every match unless limit/offset are given)."""
    return Response(exports.to_csv(_all_matching(session, filters)), media_type="text/csv")


@router.get("/models.json", response_class=Response, response_model=list[dict[str, Any]])
def export_json(session: SessionDep, filters: Filters) -> Response:
    """The matching models as a JSON array of flat records."""
    body = exports.to_json(_all_matching(session, filters))
    return Response(body, media_type="application/json")


@router.get("/models/{slug}", response_model=ModelDetailPublic)
def get_model(session: PinnedSessionDep, slug: Slug, fit: Fit = None) -> Response:
    """Everything about one model: sources, lineage, evaluations, derived values, placement."""
    return json_response(views.model_detail(session, slug=slug, fit=fit))


@router.get("/models/{slug}/placement", response_model=PlacementPublic)
def get_placement(
    session: SessionDep,
    slug: Slug,
    fit: Fit = None,
    inference_tokens: Annotated[
        float | None, Query(ge=0, le=1e30, description="Lifetime inference demand in tokens.")
    ] = None,
) -> Response:
    """The model against the compute-optimal and, given a demand, inference-optimal frontiers."""
    (model,) = queries.models_by_slug(session, slugs=[slug])
    placement = views.placement_of(model, fit=fit, inference_tokens=inference_tokens)
    sentence = views.placement_sentence(model, placement)
    return json_response({"model": slug, "placement": placement, "sentence": sentence})
