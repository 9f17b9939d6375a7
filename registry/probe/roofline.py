"""Roofline on CUDA: how close decode and prefill come to the GPU's ceilings (docs/SCIENCE.md §8).

Decode at small batch is bound by memory bandwidth: each step reads the active weights and the
KV cache, so tokens/s <= bandwidth / bytes per step x batch; MBU is the achieved share of that.
Prefill is bound by compute: 2 N_active FLOPs per token (plus attention) against peak FLOP/s; MFU
is the achieved share. The peaks come from ``registry.calc.GPU_PEAKS`` (vendors' data sheets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.calc import (
    GPU_PEAKS,
    Architecture,
    decode_ceiling_tokens_per_s,
    prefill_ceiling_tokens_per_s,
)

# CUDA device names (torch.cuda.get_device_name) -> GPU_PEAKS keys. Variants with other memory
# (H100 PCIe/NVL, A100 40GB or PCIe, L40 without S) have other peaks and stay unknown.
GPU_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bh200\b", "h200"),
    (r"\bh100\b(?!.*\b(pcie|nvl)\b)", "h100"),
    (r"\ba100-sxm4-80gb\b", "a100"),
    (r"\bl40s\b", "l40s"),
    (r"\bl4\b", "l4"),
    (r"\brtx 4090\b", "rtx4090"),
)


@dataclass(frozen=True, kw_only=True)
class Roofline:
    """Ceilings and achieved fractions; all None with a note when the GPU is unknown."""

    gpu: str | None
    decode_ceiling_tokens_per_s: float | None = None
    prefill_ceiling_tokens_per_s: float | None = None
    mbu: float | None = None
    mfu: float | None = None
    note: str | None = None


def gpu_key(device_name: str) -> str | None:
    """The ``GPU_PEAKS`` key of a CUDA device name, or None when its peaks are not tabled."""
    name = device_name.lower()
    for pattern, key in GPU_NAME_PATTERNS:
        if re.search(pattern, name) and key in GPU_PEAKS:
            return key
    return None


def roofline(
    arch: Architecture,
    *,
    device_name: str,
    dtype: str,
    batch: int,
    prompt_tokens: int,
    new_tokens: int,
    decode_tokens_per_s: float,
    prefill_tokens_per_s: float,
) -> Roofline:
    """MBU and MFU of a run on ``device_name`` (one GPU's peaks; the model on that GPU)."""
    key = gpu_key(device_name)
    if key is None:
        known = ", ".join(sorted(GPU_PEAKS))
        return Roofline(
            gpu=None,
            note=f"no peak figures for GPU {device_name!r} (known: {known}): no MBU or MFU",
        )
    peaks = GPU_PEAKS[key]
    # The cache grows from the prompt to prompt + new tokens: read its mean length each step.
    decode_context = prompt_tokens + new_tokens // 2
    decode_ceiling = decode_ceiling_tokens_per_s(
        arch,
        bandwidth_bytes_per_s=peaks["bandwidth_bytes_per_s"],
        context_tokens=decode_context,
        batch_size=batch,
        weights_dtype=dtype,
    )
    prefill_ceiling = prefill_ceiling_tokens_per_s(
        arch, peak_flops_per_s=peaks["peak_flops_per_s"], context_tokens=prompt_tokens // 2
    )
    return Roofline(
        gpu=key,
        decode_ceiling_tokens_per_s=decode_ceiling,
        prefill_ceiling_tokens_per_s=prefill_ceiling,
        mbu=decode_tokens_per_s / decode_ceiling,
        mfu=prefill_tokens_per_s / prefill_ceiling,
    )
