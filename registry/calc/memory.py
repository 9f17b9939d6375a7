"""Memory and speed limits (docs/SCIENCE.md section 8).

Weights take total params x bytes per param (MoE keeps every expert resident); the KV cache takes
``kv_cache_bytes_per_token`` per token of context per sequence. Decoding at small batch is bound by
memory bandwidth (bytes read per step: active weights plus the KV cache), prefill by compute
(2 N_active FLOPs per token plus Kaplan's attention term, against peak FLOP/s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.calc.architecture import (
    Architecture,
    attention_dim,
    count_params,
    kv_cache_bytes_per_token,
)
from registry.calc.compute import INFERENCE_FLOPS_PER_PARAM_TOKEN, attention_flops_per_token
from registry.calc.errors import CalcError, require_positive

# Bytes per stored value (docs/SCIENCE.md section 8).
BYTES_PER_DTYPE: dict[str, float] = {
    "fp32": 4.0,
    "float32": 4.0,
    "bf16": 2.0,
    "bfloat16": 2.0,
    "fp16": 2.0,
    "float16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
}

# Peak figures in decimal units, dense bf16 (docs/SCIENCE.md §8, from the vendors' data sheets).
GPU_PEAKS: dict[str, dict[str, float]] = {
    "h100": {"bandwidth_bytes_per_s": 3.35e12, "peak_flops_per_s": 989e12},  # H100 SXM
    "h200": {"bandwidth_bytes_per_s": 4.8e12, "peak_flops_per_s": 989e12},
    "a100": {"bandwidth_bytes_per_s": 2.04e12, "peak_flops_per_s": 312e12},  # A100 80GB
    # NVIDIA L4 data sheet: 300 GB/s GDDR6; BF16 tensor 242 TFLOP/s with sparsity, 121 dense.
    "l4": {"bandwidth_bytes_per_s": 300e9, "peak_flops_per_s": 121e12},
    # NVIDIA L40S data sheet: 864 GB/s GDDR6; BF16 tensor 733 TFLOP/s with sparsity, 362 dense.
    "l40s": {"bandwidth_bytes_per_s": 864e9, "peak_flops_per_s": 362e12},
    # NVIDIA Ada Lovelace architecture whitepaper (v1.01), Appendix A, GeForce RTX 4090:
    # 1,008 GB/s GDDR6X; BF16 tensor with FP32 accumulate 165.2 TFLOP/s dense.
    "rtx4090": {"bandwidth_bytes_per_s": 1008e9, "peak_flops_per_s": 165.2e12},
}


def bytes_per_value(dtype: str) -> float:
    """Bytes per parameter or cache entry for ``dtype`` (bf16, fp8, int4, ...)."""
    key = dtype.lower()
    if key not in BYTES_PER_DTYPE:
        raise CalcError(f"unknown dtype {dtype!r}; known: {', '.join(BYTES_PER_DTYPE)}")
    return BYTES_PER_DTYPE[key]


def gpu_peaks(name: str) -> dict[str, float]:
    """Bandwidth and peak FLOP/s of a named accelerator (h100, h200, a100)."""
    if name.lower() not in GPU_PEAKS:
        raise CalcError(f"unknown GPU {name!r}; known: {', '.join(GPU_PEAKS)}")
    return GPU_PEAKS[name.lower()]


@dataclass(frozen=True, kw_only=True)
class MemoryEstimate:
    """Bytes of weights and KV cache, and their sum."""

    weights_bytes: float
    kv_cache_bytes: float
    total_bytes: float
    kv_cache_bytes_per_token: float
    params: int
    context_tokens: int
    batch_size: int
    weights_dtype: str
    kv_dtype: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def weights_bytes(*, params: float, dtype: str = "bf16") -> float:
    """Bytes to hold ``params`` parameters at ``dtype``."""
    return require_positive(params, name="params") * bytes_per_value(dtype)


def memory_estimate(
    arch: Architecture,
    *,
    context_tokens: int,
    batch_size: int = 1,
    weights_dtype: str = "bf16",
    kv_dtype: str | None = None,
) -> MemoryEstimate:
    """Weights (all experts resident) plus the KV cache of ``batch_size`` full contexts."""
    require_positive(context_tokens, name="context_tokens")
    require_positive(batch_size, name="batch_size")
    total = count_params(arch).total
    per_token = kv_cache_bytes_per_token(
        arch, bytes_per_value=bytes_per_value(kv_dtype or weights_dtype)
    )
    weights = weights_bytes(params=total, dtype=weights_dtype)
    cache = per_token * context_tokens * batch_size
    return MemoryEstimate(
        weights_bytes=weights,
        kv_cache_bytes=cache,
        total_bytes=weights + cache,
        kv_cache_bytes_per_token=per_token,
        params=total,
        context_tokens=int(context_tokens),
        batch_size=int(batch_size),
        weights_dtype=weights_dtype,
        kv_dtype=kv_dtype or weights_dtype,
    )


def flops_per_token(arch: Architecture, *, context_tokens: float) -> float:
    """Forward FLOPs per token, 2 N_active + 2 n_layer n_ctx d_attn (Kaplan et al. 2020 Table 1)."""
    active = count_params(arch).active
    return INFERENCE_FLOPS_PER_PARAM_TOKEN * active + attention_flops_per_token(
        layers=arch.layers, context_tokens=context_tokens, attention_dim=attention_dim(arch)
    )


def decode_ceiling_tokens_per_s(
    arch: Architecture,
    *,
    bandwidth_bytes_per_s: float,
    context_tokens: int,
    batch_size: int = 1,
    weights_dtype: str = "bf16",
    kv_dtype: str | None = None,
) -> float:
    """Upper bound on generated tokens/s: each step reads the active weights once and every
    sequence's KV cache, and yields ``batch_size`` tokens (at batch > 1 an MoE touches more
    experts than k, so this bound is optimistic there)."""
    require_positive(bandwidth_bytes_per_s, name="bandwidth_bytes_per_s")
    active_bytes = count_params(arch).active * bytes_per_value(weights_dtype)
    cache = kv_cache_bytes_per_token(
        arch, bytes_per_value=bytes_per_value(kv_dtype or weights_dtype)
    )
    step_bytes = active_bytes + cache * context_tokens * batch_size
    return bandwidth_bytes_per_s * batch_size / step_bytes


def prefill_ceiling_tokens_per_s(
    arch: Architecture, *, peak_flops_per_s: float, context_tokens: int
) -> float:
    """Upper bound on prompt tokens/s at ``peak_flops_per_s``: peak / forward FLOPs per token."""
    require_positive(peak_flops_per_s, name="peak_flops_per_s")
    return peak_flops_per_s / flops_per_token(arch, context_tokens=context_tokens)
