"""``/api/v1/families`` and ``/api/v1/organizations``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from registry import queries
from registry.api.caching import cached_json
from registry.api.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["families"])


@router.get("/families")
def list_families(request: Request, session: SessionDep) -> Response:
    """Every family with its organization, number of models and release span."""
    return cached_json(request, session, lambda: {"data": queries.list_families(session)})


@router.get("/families/{slug}")
def get_family(
    request: Request, session: SessionDep, slug: Annotated[str, Path(max_length=64)]
) -> Response:
    """One family: its models over time and their lineage."""
    return cached_json(request, session, lambda: queries.get_family(session, slug=slug))


@router.get("/organizations")
def list_organizations(request: Request, session: SessionDep) -> Response:
    """Every organization with its number of families and models."""
    return cached_json(request, session, lambda: {"data": queries.list_organizations(session)})
