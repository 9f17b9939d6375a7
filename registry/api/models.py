"""``/api/v1/models``: the models of the registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry import queries
from registry.api.deps import SessionDep
from registry.models import ModelsPublic

router = APIRouter(prefix="/api/v1", tags=["models"])
MAX_LIMIT = 500


@router.get("/models", response_model=ModelsPublic)
def list_models(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> ModelsPublic:
    """A page of models with the total count."""
    data, count = queries.list_models(session, limit=limit, offset=offset)
    return ModelsPublic(data=data, count=count)
