"""Tables of the knowledge base: organisations, families, models and what hangs off them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.models.enums import (
    Access,
    ArchitectureKind,
    Confidence,
    DatePrecision,
    Direction,
    Modality,
    Openness,
    Relation,
    Stage,
    enum_column,
)

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
    fine_tuning_tokens: int | None = Field(default=None, sa_type=sa.BigInteger)
    inherits_training: bool = False
    # Parts counted in total_params besides the language model, comma-separated (vision-encoder).
    total_params_includes: str | None = Field(default=None, max_length=128)
    language_model_params: int | None = Field(default=None, sa_type=sa.BigInteger)
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


class Benchmark(SQLModel, table=True):
    """One benchmark of the vocabulary (seeds/benchmarks.yaml) that evaluations refer to."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    metric: str = Field(max_length=64)
    unit: str = Field(max_length=16)
    higher_is_better: bool = True
    homepage: str = Field(max_length=512)
    description: str | None = Field(default=None, sa_type=sa.Text)


class Evaluation(SQLModel, table=True):
    """A benchmark score with the conditions it was measured under and its source."""

    __table_args__ = (
        sa.UniqueConstraint(
            "model_id",
            "benchmark_id",
            "metric",
            "shots",
            "chain_of_thought",
            name="uq_evaluation_run",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="model.id", index=True, ondelete="CASCADE")
    benchmark_id: int = Field(foreign_key="benchmark.id", index=True, ondelete="RESTRICT")
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
    source_version: str | None = Field(default=None, max_length=128)
    quote: str | None = Field(default=None, sa_type=sa.Text)
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


class ModelDocument(SQLModel, table=True):
    """A model's public JSON (``ModelPublic``), written by the loader with the model it describes.

    Data changes only when seeds load, so the list endpoints read these ready bytes instead of
    building each model from its rows on every request (docs/PERFORMANCE.md)."""

    __tablename__ = "model_document"

    model_id: int = Field(foreign_key="model.id", primary_key=True, ondelete="CASCADE")
    body: bytes = Field(sa_type=sa.LargeBinary)  # UTF-8 JSON, sent as it is
