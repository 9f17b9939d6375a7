"""The model filters that the API, the pages and the exports share (one class, one meaning).

Within a filter, repeated values are alternatives (``access=open-weights&access=both``: either);
different filters must all hold. Modalities are the exception: a model has several, and every
modality asked for must be among them (``input_modality=text&input_modality=image``: both).
``docs/PAGES.md`` describes how the page shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from registry.models import Access, ArchitectureKind, Modality, Openness, Stage
from registry.numbers import parse_count

SORTABLE = (
    "name",
    "slug",
    "family",
    "organization",
    "release_date",
    "access",
    "openness",
    "architecture",
    "stage",
    "total_params",
    "active_params",
    "training_tokens",
    "training_flops",
    "tokens_per_param",
    "context_length",
    "max_output_tokens",
)
SortKey = Literal[  # type: ignore[valid-type]
    tuple(key for column in SORTABLE for key in (column, f"-{column}"))
]
# Facets: the filters whose values can be counted over the matching models.
FACETS = (
    "access",
    "openness",
    "family",
    "organization",
    "architecture",
    "stage",
    "input_modality",
    "output_modality",
)
FacetName = Literal[FACETS]  # type: ignore[valid-type]
# The access values under which a model's weights can be downloaded.
OPEN_WEIGHTS_ACCESS = (Access.OPEN_WEIGHTS, Access.BOTH)
MAX_LIMIT = 500
def _human_count(value: Any) -> Any:
    """'7B' -> 7000000000, '128k' -> 128000: counts as people write them (registry.numbers);
    anything else passes on for the field's own check, which names the parameter."""
    if isinstance(value, str) and value.strip():
        try:
            return parse_count(value)
        except ValueError:
            return value
    return value


Count = Annotated[int, BeforeValidator(_human_count), Field(ge=1, le=10**16)]
Slug = Annotated[str, Field(max_length=96)]
# What search ignores on both sides: "llama3" finds "Llama 3", "gpt4" "GPT-4", "qwen 3" "Qwen3".
SEARCH_IGNORED = " -._"


def search_key(text: str) -> str:
    """``text`` as search compares it: lower case, without spaces, dashes, dots or underscores."""
    return re.sub(f"[{re.escape(SEARCH_IGNORED)}]", "", text.lower())


class ModelFilters(BaseModel):
    """Which models to list, in which order, which page of them, and which facets to count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: list[Slug] = Field(
        default_factory=list, description="Family slug; repeatable (any of them).",
        examples=[["llama"]],
    )  # fmt: skip
    organization: list[Slug] = Field(
        default_factory=list, description="Organization slug; repeatable (any of them)."
    )
    access: list[Access] = Field(
        default_factory=list,
        description="Repeatable (any of them): access=open-weights&access=both.",
    )
    open_weights: bool | None = Field(
        default=None,
        description="true: weights can be downloaded (access open-weights or both); false: not.",
    )
    openness: list[Openness] = Field(default_factory=list, description="Repeatable (any of them).")
    architecture: list[ArchitectureKind] = Field(
        default_factory=list, description="Repeatable (any of them)."
    )
    stage: list[Stage] = Field(default_factory=list, description="Repeatable (any of them).")
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
    q: str | None = Field(
        default=None,
        max_length=100,
        description="Name or slug contains this, ignoring case, spaces, dashes and dots; "
        "exact name matches come first.",
    )
    sort: SortKey = Field(
        default="-release_date", description="A field; prefix with '-' for descending."
    )
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=10**9)
    facet: list[FacetName] = Field(
        default_factory=list,
        description='Repeatable: count the matching models by these fields, in "facets".',
    )

    @field_validator(
        "family", "organization", "access", "openness", "architecture", "stage", "facet",
        "input_modality", "output_modality", mode="before",
    )  # fmt: skip
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """A single value where a list is expected is a list of one."""
        return [value] if isinstance(value, str) else value

    def without(self, name: str) -> ModelFilters:
        """These filters less the one named (to count a facet's other values)."""
        default = type(self).model_fields[name].get_default(call_default_factory=True)
        return self.model_copy(update={name: default})

    def query_string(self) -> str:
        """The filters as a canonical query string (for links and cache keys)."""
        from urllib.parse import urlencode

        pairs: list[tuple[str, str]] = []
        for name, value in self.model_dump(exclude_defaults=True, mode="json").items():
            values = value if isinstance(value, list) else [value]
            pairs += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
        return urlencode(sorted(pairs))
