"""Public shapes of models: what the CLI, the API, the pages and the exports share."""

from __future__ import annotations

from sqlmodel import SQLModel

from registry.models.enums import (
    Access,
    ArchitectureKind,
    Confidence,
    Modality,
    Openness,
    Relation,
    Stage,
)
from registry.models.knowledge import ModelArchitecture

# --- public shapes -------------------------------------------------------------------------------


class SourcePublic(SQLModel):
    field: str
    url: str | None
    confidence: Confidence
    undisclosed: bool = False
    note: str | None = None


class LineagePublic(SQLModel):
    model: str
    relation: Relation
    note: str | None = None


class EvaluationPublic(SQLModel):
    benchmark: str
    score: float
    metric: str
    shots: int | None
    chain_of_thought: bool | None
    source: str
    note: str | None = None


class ModelPublic(ModelArchitecture):
    """A model as the CLI, the API and the exports show it (public field names)."""

    slug: str
    name: str
    family: str
    organization: str
    release_date: str | None
    knowledge_cutoff: str | None
    access: Access
    openness: Openness
    license: str | None
    input_modalities: list[Modality]
    output_modalities: list[Modality]
    natively_multimodal: bool | None
    training_data_released: bool
    training_code_released: bool
    architecture: ArchitectureKind | None
    experts: int | None
    experts_per_token: int | None
    shared_experts: int | None
    total_params: int | None
    active_params: int | None
    training_tokens: int | None
    training_flops: float | None
    tokens_per_param: float | None
    context_length: int | None
    max_output_tokens: int | None
    stage: Stage
    reasoning: bool
    undisclosed: list[str]
    sources: list[SourcePublic]
    notes: str | None = None


class ModelsPublic(SQLModel):
    """A page of models and the total that matched."""

    data: list[ModelPublic]
    count: int
    facets: dict[str, dict[str, int]] | None = None
