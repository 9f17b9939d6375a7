"""The model filters that the API, the pages and the exports share (one class, one meaning)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.models import Access, ArchitectureKind, Modality, Openness, Stage

SORTABLE = (
    "name",
    "slug",
    "release_date",
    "total_params",
    "active_params",
    "training_tokens",
    "training_flops",
    "tokens_per_param",
    "context_length",
    "max_output_tokens",
)
SortKey = Literal[
    "name", "-name", "slug", "-slug", "release_date", "-release_date", "total_params",
    "-total_params", "active_params", "-active_params", "training_tokens", "-training_tokens",
    "training_flops", "-training_flops", "tokens_per_param", "-tokens_per_param", "context_length",
    "-context_length", "max_output_tokens", "-max_output_tokens",
]  # fmt: skip
MAX_LIMIT = 500
Count = Annotated[int, Field(ge=1, le=10**16)]


class ModelFilters(BaseModel):
    """Which models to list, in which order, and which page of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str | None = Field(default=None, description="Family slug.", examples=["llama"])
    organization: str | None = Field(default=None, description="Organization slug.")
    access: Access | None = None
    openness: Openness | None = None
    architecture: ArchitectureKind | None = None
    stage: Stage | None = None
    reasoning: bool | None = None
    input_modality: list[Modality] = Field(
        default_factory=list, description="Repeatable: every one must be an input."
    )
    output_modality: list[Modality] = Field(
        default_factory=list, description="Repeatable: every one must be an output."
    )
    min_context: Count | None = Field(default=None, description="Context length at least.")
    max_context: Count | None = None
    min_params: Count | None = Field(default=None, description="Total parameters at least.")
    max_params: Count | None = None
    min_active_params: Count | None = None
    max_active_params: Count | None = None
    released_after: dt.date | None = Field(default=None, description="Released on or after.")
    released_before: dt.date | None = Field(default=None, description="Released on or before.")
    q: str | None = Field(default=None, max_length=100, description="Name or slug contains.")
    sort: SortKey = Field(
        default="-release_date", description="A field; prefix with '-' for descending."
    )
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=10**9)

    def query_string(self) -> str:
        """The filters as a canonical query string (for links and cache keys)."""
        from urllib.parse import urlencode

        pairs: list[tuple[str, str]] = []
        for name, value in self.model_dump(exclude_defaults=True, mode="json").items():
            values = value if isinstance(value, list) else [value]
            pairs += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
        return urlencode(sorted(pairs))
