"""``/api/v1/compare``: models side by side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from registry.api.schemas import ERRORS, ComparePublic
from registry.http.responses import json_response
from registry.http.revision import PinnedSessionDep
from registry.services import views

router = APIRouter(prefix="/api/v1", tags=["compare"], responses=ERRORS)


@router.get("/compare", response_model=ComparePublic)
def compare(
    session: PinnedSessionDep,
    models: Annotated[
        str,
        Query(
            max_length=800,
            description="2 to 8 model slugs separated by commas (more is a 422). An unknown "
            "slug is named in `unknown` and `warnings` and the others are still compared; "
            "404 only when none is known.",
            examples=["mixtral-8x7b,llama-3.1-8b"],
        ),
    ],
    fit: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The fields side by side, which differ, each model's placement and the evaluations
    aligned by benchmark and shots."""
    slugs = models.split(",")
    return json_response(views.compare(session, slugs=slugs, fit=fit))
