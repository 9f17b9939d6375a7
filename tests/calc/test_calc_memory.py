"""Memory, FLOPs per token and the decode/prefill ceilings (docs/SCIENCE.md section 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.calc import (
    CalcError,
    architecture_from_hf_config,
    count_params,
    decode_ceiling_tokens_per_s,
    flops_per_token,
    gpu_peaks,
    kv_cache_bytes_per_token,
    memory_estimate,
    prefill_ceiling_tokens_per_s,
    weights_bytes,
)

CONFIGS = Path(__file__).parent / "configs"


def arch(name: str):
    return architecture_from_hf_config(json.loads((CONFIGS / f"{name}.json").read_text()))


@pytest.mark.parametrize(
    ("name", "per_token"),
    [
        ("llama-2-7b", 2 * 32 * 32 * 128 * 2),  # 512 KiB: multi-head attention
        ("llama-3-8b", 2 * 32 * 8 * 128 * 2),  # 128 KiB: GQA with 8 kv heads
        ("gemma-2b", 2 * 18 * 1 * 256 * 2),  # multi-query attention
        ("deepseek-v3", 61 * (512 + 64) * 2),  # MLA caches d_c + d_rope per layer
    ],
)
def test_kv_cache_bytes_per_token(name: str, per_token: int) -> None:
    assert kv_cache_bytes_per_token(arch(name), bytes_per_value=2) == per_token


def test_mla_cache_is_far_smaller_than_multi_head_attention_would_be() -> None:
    v3 = arch("deepseek-v3")
    multi_head = 61 * 128 * ((128 + 64) + 128) * 2  # keys 192 wide, values 128 wide
    assert kv_cache_bytes_per_token(v3) < multi_head / 40


def test_llama2_7b_memory_at_4k_context() -> None:
    estimate = memory_estimate(arch("llama-2-7b"), context_tokens=4096, batch_size=8)
    assert estimate.weights_bytes == 6_738_415_616 * 2  # ~13.5 GB in bf16
    assert estimate.kv_cache_bytes == 524288 * 4096 * 8  # 16 GiB for 8 sequences of 4k
    assert estimate.total_bytes == estimate.weights_bytes + estimate.kv_cache_bytes
    int4 = memory_estimate(
        arch("llama-2-7b"), context_tokens=4096, weights_dtype="int4", kv_dtype="fp8"
    )
    assert int4.weights_bytes == 6_738_415_616 / 2 and int4.kv_cache_bytes_per_token == 262144


def test_moe_keeps_every_expert_resident() -> None:
    assert weights_bytes(
        params=count_params(arch("mixtral-8x7b")).total, dtype="bf16"
    ) == pytest.approx(93.4e9, rel=1e-3)


def test_flops_per_token_adds_kaplans_attention_term() -> None:
    llama = arch("llama-2-7b")
    assert flops_per_token(llama, context_tokens=0) == 2 * 6_738_415_616
    assert flops_per_token(llama, context_tokens=4096) - flops_per_token(
        llama, context_tokens=0
    ) == (2 * 32 * 4096 * 4096)
    mixtral = arch("mixtral-8x7b")  # MoE: active params only
    assert flops_per_token(mixtral, context_tokens=0) == 2 * count_params(mixtral).active


def test_decode_ceiling_is_bandwidth_over_bytes_per_token() -> None:
    llama = arch("llama-2-7b")
    h100 = gpu_peaks("h100")
    ceiling = decode_ceiling_tokens_per_s(
        llama, bandwidth_bytes_per_s=h100["bandwidth_bytes_per_s"], context_tokens=1
    )
    assert ceiling == pytest.approx(3.35e12 / (6_738_415_616 * 2 + 524288), rel=1e-12)  # ~249 tok/s
    long = decode_ceiling_tokens_per_s(
        llama, bandwidth_bytes_per_s=3.35e12, context_tokens=4096, batch_size=16
    )
    assert long == pytest.approx(16 * 3.35e12 / (13_476_831_232 + 524288 * 4096 * 16))


def test_prefill_ceiling_is_peak_over_flops_per_token() -> None:
    llama = arch("llama-2-7b")
    ceiling = prefill_ceiling_tokens_per_s(llama, peak_flops_per_s=989e12, context_tokens=2048)
    assert ceiling == pytest.approx(989e12 / (2 * 6_738_415_616 + 2 * 32 * 2048 * 4096))


def test_unknown_dtype_and_gpu_are_named() -> None:
    with pytest.raises(CalcError, match="unknown dtype 'fp12'"):
        weights_bytes(params=1e9, dtype="fp12")
    with pytest.raises(CalcError, match="unknown GPU 'tpu'"):
        gpu_peaks("tpu")
    with pytest.raises(CalcError, match="context_tokens must be a finite number > 0, got 0"):
        memory_estimate(arch("gpt2"), context_tokens=0)
