"""The shape of the seed files, as pydantic models.

Two kinds of file: ``organizations.yaml`` (the labs) and ``families/<family>.yaml`` (one family and
its models). A claimable field takes either a plain value, whose source is the model's ``source``,
or a mapping ``{value, source, confidence, note}``; ``value: undisclosed`` records that the lab
never published it. ``seeds/schema.json`` is generated from these classes (``registry schema``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from registry.models import Access, Confidence, Modality, Openness, Relation, Stage
from registry.numbers import (
    UNDISCLOSED,
    parse_count,
    parse_partial_date,
    parse_positive_float,
)

Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", min_length=1, max_length=96)
]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _text(max_length: int) -> Any:
    """Non-empty text that fits its database column (``registry.models``)."""
    return Annotated[
        str, StringConstraints(min_length=1, max_length=max_length, strip_whitespace=True)
    ]


Name = _text(128)
ModelName = _text(160)
Label = _text(64)
Url = _text(512)
Undisclosed = Literal["undisclosed"]
Unstated = Literal["unstated"]
UNSTATED = "unstated"

# Fields computed here from others; typing them into a seed is an error with its own message.
DERIVED_FIELDS = {
    "tokens_per_param": "derived as training_tokens / active_params",
    "undisclosed": "derived from the fields whose value is 'undisclosed'",
}


def _or_undisclosed(parse: Any) -> Any:
    def check(value: Any) -> Any:
        return value if value == UNDISCLOSED else parse(value)

    return check


def _as_claim(value: Any) -> Any:
    """A plain value is shorthand for ``{value: ...}``."""
    return value if isinstance(value, dict) else {"value": value}


_COUNT_JSON = {"anyOf": [{"type": "integer"}, {"type": "string"}]}

Count = Annotated[
    int | Undisclosed,
    BeforeValidator(_or_undisclosed(parse_count), json_schema_input_type=int | str),
]
Flops = Annotated[
    float | Undisclosed,
    BeforeValidator(_or_undisclosed(parse_positive_float), json_schema_input_type=float | str),
]
PartialDate = Annotated[
    tuple[dt.date, Any] | Undisclosed,
    BeforeValidator(_or_undisclosed(parse_partial_date), json_schema_input_type=dt.date | str),
]
PositiveInt = Annotated[int, BeforeValidator(parse_count, json_schema_input_type=int | str)]
NonNegativeInt = Annotated[
    int,
    BeforeValidator(lambda v: parse_count(v, allow_zero=True), json_schema_input_type=int | str),
]

Shots = Annotated[
    int | Unstated,
    BeforeValidator(
        lambda v: v if v == UNSTATED else parse_count(v, allow_zero=True),
        json_schema_input_type=int | str,
    ),
]


def _bool_or_unstated(value: Any) -> Any:
    if value == UNSTATED or isinstance(value, bool):
        return value
    raise ValueError(f"expected true, false or 'unstated'; got {value!r}")


ChainOfThought = Annotated[
    bool | Unstated, BeforeValidator(_bool_or_unstated, json_schema_input_type=bool | str)
]

V = TypeVar("V")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Version = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, strip_whitespace=True),
    Field(description="Which revision of the source: arXiv vN, a commit, or a retrieval date."),
]
Quote = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000, strip_whitespace=True),
    Field(description="A short verbatim quote of the source supporting the number."),
]


class Claim(Strict, Generic[V]):
    """A value with its provenance."""

    value: V
    source: str | None = Field(default=None, description="A key of the file's `sources`, or a URL.")
    version: Version | None = None
    quote: Quote | None = None
    confidence: Confidence = Confidence.REPORTED
    note: str | None = None


class SourceSpec(Strict):
    """A pinned source: its URL plus the revision read and, optionally, a verbatim quote."""

    url: Url
    version: Version | None = None
    quote: Quote | None = None


def _claim(inner: Any) -> Any:
    return Annotated[
        Claim[inner] | None,  # type: ignore[valid-type]
        BeforeValidator(_as_claim, json_schema_input_type=inner | Claim[inner]),  # type: ignore[valid-type]
    ]


CountClaim = _claim(Count)
FlopsClaim = _claim(Flops)
DateClaim = _claim(PartialDate)


class ArchitectureSpec(Strict):
    """Hyper-parameters as in ``registry.calc.Architecture`` (Hugging Face config values)."""

    layers: PositiveInt
    hidden_size: PositiveInt
    vocab_size: PositiveInt
    attention_heads: PositiveInt
    kv_heads: PositiveInt | None = None
    head_dim: PositiveInt | None = None
    ffn_size: PositiveInt | None = None
    mlp: Literal["gated", "plain"] = "gated"
    norm: Literal["rmsnorm", "layernorm", "none"] = "rmsnorm"
    attention_bias: bool = False
    linear_bias: bool = False
    tied_embeddings: bool = False
    learned_positions: NonNegativeInt = 0
    moe_ffn_size: PositiveInt | None = None
    shared_expert_ffn_size: PositiveInt | None = None
    dense_layers: NonNegativeInt = 0
    moe_layer_step: PositiveInt = 1
    mlp_only_layers: tuple[int, ...] = ()
    q_lora_rank: PositiveInt | None = None
    kv_lora_rank: PositiveInt | None = None
    qk_nope_head_dim: PositiveInt | None = None
    qk_rope_head_dim: PositiveInt | None = None
    v_head_dim: PositiveInt | None = None
    mtp_layers: NonNegativeInt = 0
    qk_norm: Literal["none", "head", "full"] = "none"
    norms_per_layer: PositiveInt = 2
    shared_expert_gate: bool = False
    attention_output_bias: bool = False
    source: str | None = Field(default=None, description="Default: the model's source.")
    note: str | None = None


class LineageSeed(Strict):
    model: Slug = Field(description="Slug of the parent model.")
    relation: Relation
    note: str | None = None


class EvaluationSeed(Strict):
    benchmark: Label = Field(description="A slug of seeds/benchmarks.yaml.")
    score: float = Field(ge=0)
    metric: Label | None = Field(default=None, description="Default: the benchmark's metric.")
    shots: Shots = Field(
        description="0 = zero-shot, k = k-shot; 'unstated' when the source does not say."
    )
    chain_of_thought: ChainOfThought = False
    source: str
    note: str | None = None


class ModelSeed(Strict):
    """One model of a family."""

    slug: Slug
    name: ModelName
    organization: Slug | None = Field(default=None, description="Default: the family's.")
    source: str | None = Field(
        default=None, description="Default source of this model's plain (non-mapping) values."
    )
    release_date: DateClaim = None
    knowledge_cutoff: DateClaim = None
    access: Access
    openness: Openness
    license: Name | None = None
    input_modalities: list[Modality] = Field(min_length=1)
    output_modalities: list[Modality] = Field(min_length=1)
    natively_multimodal: bool | None = None
    training_data_released: bool = False
    training_code_released: bool = False
    architecture: Literal["dense", "moe", "undisclosed"]
    experts: CountClaim = None
    experts_per_token: CountClaim = None
    shared_experts: CountClaim = None
    total_params: CountClaim = None
    active_params: CountClaim = None
    training_tokens: CountClaim = None
    fine_tuning_tokens: CountClaim = None
    inherits_training: bool = Field(
        default=False,
        description="Training tokens: the first parent's (derived_from) plus fine_tuning_tokens.",
    )
    total_params_includes: list[Literal["vision-encoder", "audio-encoder"]] = Field(
        default_factory=list,
        description="Parts counted in total_params besides the language model.",
    )
    language_model_params: CountClaim = None
    training_flops: FlopsClaim = None
    context_length: CountClaim = None
    max_output_tokens: CountClaim = None
    stage: Stage
    reasoning: bool = False
    arch: ArchitectureSpec | None = None
    derived_from: list[LineageSeed] = Field(default_factory=list)
    evaluations: list[EvaluationSeed] = Field(default_factory=list)
    notes: str | None = None


class FamilySeed(Strict):
    slug: Annotated[Slug, StringConstraints(max_length=64)]
    name: Name
    organization: Slug
    description: str | None = None
    url: Url | None = None


class FamilyFile(Strict):
    """``seeds/families/<family>.yaml``."""

    family: FamilySeed
    sources: dict[str, str | SourceSpec] = Field(
        default_factory=dict, description="Named sources: a URL, or {url, version, quote}."
    )
    models: list[ModelSeed] = Field(min_length=1)


class OrganizationSeed(Strict):
    slug: Annotated[Slug, StringConstraints(max_length=64)]
    name: Name
    url: Url | None = None
    country: Label | None = None


class OrganizationsFile(Strict):
    """``seeds/organizations.yaml``."""

    organizations: list[OrganizationSeed] = Field(min_length=1)


class BenchmarkSeed(Strict):
    """One benchmark of the vocabulary evaluations refer to by slug."""

    slug: Annotated[Slug, StringConstraints(max_length=64)]
    name: Label
    variant: Label | None = Field(default=None, description="Diamond, main, Verified, ...")
    metric: Label = Field(description="The usual metric; an evaluation's default.")
    unit: Literal["percent", "score", "rating"] = "percent"
    higher_is_better: bool = True
    homepage: Url
    description: str | None = None
    aliases: list[Label] = Field(
        default_factory=list, description="Free-text names older seeds used for it."
    )


class BenchmarksFile(Strict):
    """``seeds/benchmarks.yaml``."""

    benchmarks: list[BenchmarkSeed] = Field(min_length=1)


# Every claimable field of a model, in the order reports list them.
CLAIM_FIELDS = tuple(
    name
    for name, info in ModelSeed.model_fields.items()
    if info.annotation is not None and "Claim[" in str(info.annotation)
)
NUMERIC_CLAIM_FIELDS = tuple(
    f for f in CLAIM_FIELDS if f not in ("release_date", "knowledge_cutoff")
)


def known_keys() -> set[str]:
    """Every key a seed file may hold, for 'did you mean' hints."""
    keys: set[str] = set()
    for cls in (
        ArchitectureSpec,
        LineageSeed,
        EvaluationSeed,
        ModelSeed,
        FamilySeed,
        FamilyFile,
        OrganizationSeed,
        OrganizationsFile,
        Claim,
        SourceSpec,
        BenchmarkSeed,
        BenchmarksFile,
    ):
        keys.update(cls.model_fields)
    return keys
