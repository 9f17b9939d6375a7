"""Response shapes for the OpenAPI document (handlers return pre-rendered JSON of these shapes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from registry.models import EvaluationPublic, LineagePublic, ModelPublic, ProbeRunPublic


class ErrorPublic(BaseModel):
    """An error: a message, or FastAPI's list of parameter problems."""

    detail: str | list[dict[str, Any]]


class ModelDetailPublic(BaseModel):
    model: ModelPublic
    parents: list[LineagePublic]
    children: list[LineagePublic]
    evaluations: list[EvaluationPublic]
    placement: dict[str, Any] | None
    placement_sentence: str | None
    probe: ProbeRunPublic | None
    probe_comparison: dict[str, Any] | None


class PlacementPublic(BaseModel):
    model: str
    placement: dict[str, Any] | None
    sentence: str | None


class FamilySummary(BaseModel):
    slug: str
    name: str
    organization: str
    description: str | None
    url: str | None
    models: int
    first_release: str | None
    latest_release: str | None


class FamiliesPublic(BaseModel):
    data: list[FamilySummary]


class FamilyLineage(BaseModel):
    child: str
    parent: str
    relation: str


class FamilyDetailPublic(FamilySummary):
    data: list[ModelPublic]
    lineage: list[FamilyLineage]


class OrganizationPublic(BaseModel):
    slug: str
    name: str
    url: str | None
    country: str | None
    families: int
    models: int


class OrganizationsPublic(BaseModel):
    data: list[OrganizationPublic]


class AlignedEvaluationPublic(BaseModel):
    """One benchmark at one number of shots, with each compared model's score (or null)."""

    benchmark: str
    shots: int | None
    scores: dict[str, EvaluationPublic | None]


class ComparePublic(BaseModel):
    models: list[ModelPublic]
    fields: list[str]
    differing: list[str]
    placements: dict[str, dict[str, Any] | None]
    evaluations: list[AlignedEvaluationPublic] = []
    unknown: list[str] = []
    warnings: list[str] = []


WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in (
        (401, "No 'Authorization: Bearer' token was sent."),
        (403, "The token is wrong, or the server accepts no writes."),
        (429, "Too many writes from this client; retry later."),
    )
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in (
        (404, "No such model, family or organization."),
        (413, "The request body is too large."),
        (422, "A parameter is invalid; the message names it."),
        (503, "The database is unavailable; retry shortly."),
    )
}
