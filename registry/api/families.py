"""``/api/v1/families`` and ``/api/v1/organizations``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from registry.api.schemas import (
    ERRORS,
    FamiliesPublic,
    FamilyDetailPublic,
    OrganizationsPublic,
)
from registry.http.deps import SessionDep
from registry.http.responses import json_response
from registry.store import queries

router = APIRouter(prefix="/api/v1", tags=["families"], responses=ERRORS)


@router.get("/families", response_model=FamiliesPublic)
def list_families(session: SessionDep) -> Response:
    """Every family with its organization, number of models and release span."""
    return json_response({"data": queries.list_families(session)})


@router.get("/families/{slug}", response_model=FamilyDetailPublic)
def get_family(session: SessionDep, slug: Annotated[str, Path(max_length=64)]) -> Response:
    """One family: its models over time and their lineage."""
    return json_response(queries.get_family(session, slug=slug))


@router.get("/organizations", response_model=OrganizationsPublic)
def list_organizations(session: SessionDep) -> Response:
    """Every organization with its number of families and models."""
    return json_response({"data": queries.list_organizations(session)})
