"""Tables of the knowledge base and their public shapes.

One class family per entity: closed sets as enums, the table class, and the ``Public`` shape
that the CLI, the API and the exports share. The constraint naming convention is set before the
first table so that Alembic migrations get stable names on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Alembic's recommended convention: every constraint and index gets a predictable name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# --- closed sets (DOMAIN.md §1) -------------------------------------------------------------------


class Access(StrEnum):
    """How people can use a model."""

    API = "api"
    OPEN_WEIGHTS = "open-weights"
    BOTH = "both"
    UNRELEASED = "unreleased"


class Openness(StrEnum):
    """What is released: open weights are not open source (weights, data and code)."""

    CLOSED = "closed"
    OPEN_WEIGHTS_RESTRICTED = "open-weights-restricted"
    OPEN_WEIGHTS_PERMISSIVE = "open-weights-permissive"
    OPEN_SOURCE = "open-source"


class Modality(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    PDF = "pdf"


class Direction(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class ArchitectureKind(StrEnum):
    DENSE = "dense"
    MOE = "moe"


class Stage(StrEnum):
    BASE = "base"
    INSTRUCT = "instruct"
    CHAT = "chat"


class Relation(StrEnum):
    """How a model was derived from its parent (DOMAIN.md §1, lineage)."""

    INSTRUCTION_TUNED = "instruction-tuned"
    PREFERENCE_TUNED = "preference-tuned"
    RL_REASONING = "rl-reasoning"
    DISTILLED = "distilled"
    CONTINUED_PRETRAINING = "continued-pretraining"
    QUANTIZED = "quantized"
    MERGED = "merged"


class Confidence(StrEnum):
    """Provenance: the lab said it, it was computed here, or a third party estimated it."""

    REPORTED = "reported"
    DERIVED = "derived"
    ESTIMATED = "estimated"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def enum_column(
    enum: type[StrEnum], *, nullable: bool, name: str, primary_key: bool = False
) -> Any:
    """A VARCHAR column holding an enum's values, checked by a named CHECK constraint."""
    sa_enum = sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
    return sa.Column(sa_enum, nullable=nullable, primary_key=primary_key)


# --- organizations and families ------------------------------------------------------------------


class Organization(SQLModel, table=True):
    """A lab that builds models."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=128)
    url: str | None = Field(default=None, max_length=512)
    country: str | None = Field(default=None, max_length=64)


class Family(SQLModel, table=True):
    """A family groups the generations and sizes of one line of models."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=128)
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="RESTRICT")
    description: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, max_length=512)


# --- models --------------------------------------------------------------------------------------

# Architecture hyper-parameters, named as registry.calc.architecture.Architecture's fields.
ARCH_INT_FIELDS = (
    "layers",
    "hidden_size",
    "vocab_size",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "ffn_size",
    "learned_positions",
    "moe_ffn_size",
    "shared_expert_ffn_size",
    "dense_layers",
    "moe_layer_step",
    "q_lora_rank",
    "kv_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
    "mtp_layers",
    "norms_per_layer",
)
ARCH_BOOL_FIELDS = (
    "attention_bias",
    "linear_bias",
    "tied_embeddings",
    "shared_expert_gate",
    "attention_output_bias",
)
ARCH_STR_FIELDS = ("mlp", "norm", "qk_norm")


class ModelArchitecture(SQLModel):
    """Hyper-parameters the calculator needs to count parameters and KV cache (all optional)."""

    layers: int | None = None
    hidden_size: int | None = None
    vocab_size: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    ffn_size: int | None = None
    mlp: str | None = Field(default=None, max_length=16)
    norm: str | None = Field(default=None, max_length=16)
    attention_bias: bool | None = None
    linear_bias: bool | None = None
    tied_embeddings: bool | None = None
    learned_positions: int | None = None
    moe_ffn_size: int | None = None
    shared_expert_ffn_size: int | None = None
    dense_layers: int | None = None
    moe_layer_step: int | None = None
    mlp_only_layers: str | None = Field(default=None, max_length=256)  # comma-separated indices
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int | None = None
    qk_rope_head_dim: int | None = None
    v_head_dim: int | None = None
    mtp_layers: int | None = None
    qk_norm: str | None = Field(default=None, max_length=16)
    norms_per_layer: int | None = None
    shared_expert_gate: bool | None = None
    attention_output_bias: bool | None = None


class Model(ModelArchitecture, table=True):
    """One model: a released checkpoint or API model at one stage of training."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=96, unique=True)
    name: str = Field(max_length=160, index=True)
    family_id: int = Field(foreign_key="family.id", index=True, ondelete="RESTRICT")
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="RESTRICT")
    release_date: dt.date | None = Field(default=None, index=True)
    release_date_precision: DatePrecision | None = Field(
        default=None, sa_column=enum_column(DatePrecision, nullable=True, name="release_precision")
    )
    knowledge_cutoff: dt.date | None = None
    knowledge_cutoff_precision: DatePrecision | None = Field(
        default=None, sa_column=enum_column(DatePrecision, nullable=True, name="cutoff_precision")
    )
    access: Access = Field(sa_column=enum_column(Access, nullable=False, name="access"))
    openness: Openness = Field(sa_column=enum_column(Openness, nullable=False, name="openness"))
    license: str | None = Field(default=None, max_length=128)
    natively_multimodal: bool | None = None
    training_data_released: bool = False
    training_code_released: bool = False
    architecture: ArchitectureKind | None = Field(
        default=None, sa_column=enum_column(ArchitectureKind, nullable=True, name="architecture")
    )
    experts: int | None = None
    experts_per_token: int | None = None
    shared_experts: int | None = None
    total_params: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    active_params: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    training_tokens: int | None = Field(default=None, sa_type=sa.BigInteger)
    # FLOPs exceed 64-bit integers (3.8e25): stored as a double.
    training_flops: float | None = Field(default=None, sa_type=sa.Float)
    tokens_per_param: float | None = Field(default=None, sa_type=sa.Float)
    context_length: int | None = Field(default=None, index=True)
    max_output_tokens: int | None = None
    stage: Stage = Field(sa_column=enum_column(Stage, nullable=False, name="stage"))
    reasoning: bool = False
    notes: str | None = Field(default=None, sa_type=sa.Text)


class ModelModality(SQLModel, table=True):
    """One input or output modality of a model."""

    __tablename__ = "model_modality"

    model_id: int = Field(foreign_key="model.id", primary_key=True, ondelete="CASCADE")
    direction: Direction = Field(
        sa_column=enum_column(Direction, nullable=False, name="direction", primary_key=True)
    )
    modality: Modality = Field(
        sa_column=enum_column(Modality, nullable=False, name="modality", primary_key=True)
    )


class Lineage(SQLModel, table=True):
    """``child`` was derived from ``parent`` by ``relation``."""

    child_id: int = Field(foreign_key="model.id", primary_key=True, ondelete="CASCADE")
    parent_id: int = Field(foreign_key="model.id", primary_key=True, index=True, ondelete="CASCADE")
    relation: Relation = Field(sa_column=enum_column(Relation, nullable=False, name="relation"))
    note: str | None = Field(default=None, sa_type=sa.Text)


class Evaluation(SQLModel, table=True):
    """A benchmark score with the conditions it was measured under and its source."""

    __table_args__ = (
        sa.UniqueConstraint(
            "model_id", "benchmark", "metric", "shots", "chain_of_thought", name="uq_evaluation_run"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="model.id", index=True, ondelete="CASCADE")
    benchmark: str = Field(max_length=64, index=True)
    score: float
    metric: str = Field(max_length=64)
    shots: int | None = Field(description="None: the source does not say.")
    chain_of_thought: bool | None = Field(default=False, description="None: not stated.")
    source_url: str = Field(max_length=512)
    note: str | None = Field(default=None, sa_type=sa.Text)


class Claim(SQLModel, table=True):
    """Provenance of one field of a model: its source and confidence, or that it is undisclosed."""

    model_id: int = Field(foreign_key="model.id", primary_key=True, ondelete="CASCADE")
    field: str = Field(max_length=64, primary_key=True)
    source_url: str | None = Field(default=None, max_length=512)
    confidence: Confidence = Field(
        sa_column=enum_column(Confidence, nullable=False, name="confidence")
    )
    undisclosed: bool = False
    note: str | None = Field(default=None, sa_type=sa.Text)


class DatasetRevision(SQLModel, table=True):
    """The loaded seeds' revision: a content hash, changed by every load that changes data."""

    __tablename__ = "dataset_revision"

    id: int = Field(default=1, primary_key=True)
    revision: str = Field(max_length=64)
    loaded_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    models: int


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


# --- probe runs (registry.probe: what a checkpoint measures, DOMAIN.md sections 7-8) -------------


class ProbeRunBase(SQLModel):
    """One probe of a local checkpoint: hardware, software, settings and every metric."""

    model_slug: str | None = Field(default=None, max_length=96, index=True)
    checkpoint: str = Field(max_length=512)  # the model directory's name
    model_type: str | None = Field(default=None, max_length=64)
    params_source: str = Field(max_length=16)  # "safetensors" (exact) or "config"
    total_params: int = Field(sa_type=sa.BigInteger)
    active_params: int = Field(sa_type=sa.BigInteger)
    experts: int | None = None
    experts_per_token: int | None = None
    architecture: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    device: str = Field(max_length=16)  # "cpu" or "cuda"
    device_name: str = Field(max_length=256)
    device_count: int = 1
    device_memory_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    platform: str = Field(max_length=256)
    python_version: str = Field(max_length=32)
    torch_version: str = Field(max_length=64)
    transformers_version: str = Field(max_length=64)
    cuda_version: str | None = Field(default=None, max_length=32)
    registry_version: str = Field(max_length=32)
    dtype: str = Field(max_length=16)
    device_map: str = Field(max_length=16)  # "single" or "auto" (split across GPUs)
    fast_path: bool = False  # static KV cache and torch.compile
    batch: int
    prompt_tokens: int
    new_tokens: int
    warmup: int
    runs: int
    text: str | None = Field(default=None, max_length=256)
    load_s: float
    weights_bytes: int = Field(sa_type=sa.BigInteger)
    peak_memory_bytes: int = Field(sa_type=sa.BigInteger)
    peak_memory_source: str = Field(max_length=64)
    nvml_memory_used_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    ttft_s: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    tpot_s: float
    token_latency_p50_s: float
    token_latency_p99_s: float
    perplexity: float | None = None
    bits_per_byte: float | None = None
    perplexity_tokens: int | None = None
    perplexity_bytes: int | None = None
    perplexity_window: int | None = None
    perplexity_stride: int | None = None
    gpu: str | None = Field(default=None, max_length=32)  # key of registry.calc.GPU_PEAKS
    decode_ceiling_tokens_per_s: float | None = None
    prefill_ceiling_tokens_per_s: float | None = None
    mbu: float | None = None
    mfu: float | None = None
    roofline_note: str | None = Field(default=None, sa_type=sa.Text)
    claims: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    # Probe 2 (migration 0003): the runtime, the quantization, and memory predicted beside measured.
    runtime: str | None = Field(default=None, max_length=64)  # "transformers 5.1", "llama.cpp ..."
    quantization: str | None = Field(default=None, max_length=64)  # "gptq 4-bit g128", "gguf Q4_K"
    bits_per_weight: float | None = None  # stored bits per logical parameter
    predicted_weights_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    predicted_kv_cache_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    kv_cache_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)  # measured


class ProbeRun(ProbeRunBase, table=True):
    """A recorded probe run; it outlives its model's row (the slug stays, the link is nulled)."""

    __tablename__ = "probe_run"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int | None = Field(
        default=None, foreign_key="model.id", index=True, ondelete="SET NULL"
    )
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)


class ProbeRunCreate(ProbeRunBase):
    """A probe run as the CLI measures it and pushes it to ``POST /api/v1/probe-runs``."""


class ProbeRunPublic(ProbeRunBase):
    """A recorded probe run as the API shows it."""

    id: int
    created_at: dt.datetime


class ProbeRunsPublic(SQLModel):
    """Probe runs (newest first) and how many there are."""

    data: list[ProbeRunPublic]
    count: int
