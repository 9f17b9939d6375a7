"""Probe runs: what measuring a local checkpoint recorded (docs/PROBE.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# --- probe runs (registry.probe: what a checkpoint measures, docs/SCIENCE.md §7-8) ----------


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
