"""Serving metrics, the roofline and the claims comparison: pure functions, no torch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from registry.calc import GPU_PEAKS, architecture_from_hf_config, count_params
from registry.calc import decode_ceiling_tokens_per_s as calc_decode_ceiling
from registry.models import Model
from registry.probe.claims import compare_claims, format_claimed, format_measured
from registry.probe.errors import MissingExtra
from registry.probe.loading import require_torch
from registry.probe.measure import timed_runs
from registry.probe.roofline import gpu_key, roofline
from registry.probe.stats import RunTiming, summarise

CALC_CONFIGS = Path(__file__).parent.parent / "calc" / "configs"


def _run(start: float, gaps: list[float], ttft: float) -> RunTiming:
    times = [start + ttft]
    for gap in gaps:
        times.append(times[-1] + gap)
    return RunTiming(start_s=start, token_times_s=tuple(times))


def test_warm_ups_never_reach_the_summary() -> None:
    """Slow warm-ups (compilation, cold caches) are dropped; only measured runs count."""
    calls = iter(range(10))

    def generate() -> RunTiming:
        index = next(calls)
        slow = index < 2  # the two warm-ups take 100x longer
        return _run(10.0 * index, [1.0 if slow else 0.01] * 4, ttft=5.0 if slow else 0.05)

    steps: list[str] = []
    measured = timed_runs(generate, warmup=2, runs=3, progress=steps.append)
    metrics = summarise(measured, batch=4, prompt_tokens=100)
    assert steps == ["warm-up 1/2", "warm-up 2/2", *(f"measuring run {i}/3" for i in (1, 2, 3))]
    assert metrics.runs == 3 and metrics.measured_tokens == 12
    assert metrics.token_latency_p99_s == pytest.approx(0.01)
    assert metrics.ttft_s == pytest.approx(0.05)
    assert metrics.prefill_tokens_per_s == pytest.approx(4 * 100 / 0.05)  # tokens, not sequences
    assert metrics.decode_tokens_per_s == pytest.approx(400.0)
    assert metrics.tpot_s * metrics.decode_tokens_per_s == pytest.approx(4)


def test_latency_percentiles_pool_the_tokens_of_every_measured_run() -> None:
    runs = [_run(0.0, [0.01] * 99, 0.1), _run(5.0, [0.01] * 98 + [0.5], 0.1)]
    metrics = summarise(runs, batch=1, prompt_tokens=8)
    assert metrics.token_latency_p50_s == pytest.approx(0.01)
    assert 0.01 < metrics.token_latency_p99_s < 0.5
    with pytest.raises(ValueError, match="at least 2 generated tokens to time decoding, got 1"):
        RunTiming(start_s=0.0, token_times_s=(1.0,))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NVIDIA H100 80GB HBM3", "h100"),
        ("NVIDIA H200", "h200"),
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("NVIDIA L4", "l4"),
        ("NVIDIA L40S", "l40s"),
        ("NVIDIA GeForce RTX 4090", "rtx4090"),
        ("NVIDIA H100 PCIe", None),
        ("NVIDIA A100-SXM4-40GB", None),
        ("NVIDIA L40", None),
        ("Tesla T4", None),
    ],
)
def test_device_names_map_to_the_peak_table(name: str, key: str | None) -> None:
    assert gpu_key(name) == key


def test_roofline_on_h100_and_an_unknown_gpu() -> None:
    arch = architecture_from_hf_config(json.loads((CALC_CONFIGS / "llama-3-8b.json").read_text()))
    ceiling = calc_decode_ceiling(arch, bandwidth_bytes_per_s=3.35e12, context_tokens=256 + 32)
    line = roofline(
        arch,
        device_name="NVIDIA H100 80GB HBM3",
        dtype="bfloat16",
        batch=1,
        prompt_tokens=256,
        new_tokens=64,
        decode_tokens_per_s=ceiling / 2,
        prefill_tokens_per_s=1000.0,
    )
    assert line.gpu == "h100" and line.decode_ceiling_tokens_per_s == pytest.approx(ceiling)
    # ~16 GB of bf16 weights read per token at 3.35 TB/s: about 208 tokens/s.
    assert 200 < ceiling < 210 and line.mbu == pytest.approx(0.5)
    flops_per_token = 1000.0 * 2 * count_params(arch).active
    assert line.mfu == pytest.approx(
        flops_per_token / GPU_PEAKS["h100"]["peak_flops_per_s"], rel=0.02
    )
    unknown = roofline(
        arch,
        device_name="Tesla T4",
        dtype="float16",
        batch=1,
        prompt_tokens=8,
        new_tokens=8,
        decode_tokens_per_s=1.0,
        prefill_tokens_per_s=1.0,
    )
    assert unknown.mbu is None and unknown.mfu is None and unknown.gpu is None
    assert unknown.note is not None and "no peak figures for GPU 'Tesla T4'" in unknown.note


def test_every_required_gpu_has_peaks() -> None:
    assert {"a100", "h100", "h200", "l4", "l40s", "rtx4090"} <= set(GPU_PEAKS)


def test_mixtral_reads_as_the_issue_writes_it() -> None:
    model = Model(
        slug="mixtral-8x7b",
        total_params=46_700_000_000,
        active_params=12_900_000_000,
        experts=8,
        experts_per_token=2,
    )
    measured = {
        "total_params": 46_702_792_704,
        "active_params": 12_879_925_248,
        "experts": 8,
        "experts_per_token": 2,
    }
    result = compare_claims(measured, model)
    assert result.summary == "measured 46.70B total / 12.88B active against claimed 46.7B / 12.9B"
    assert result.matches and [c.field for c in result.checks] == list(measured)


def test_differences_over_one_percent_are_flagged() -> None:
    model = Model(
        slug="m", total_params=100_000, active_params=None, experts=None, layers=4, vocab_size=1000
    )
    result = compare_claims(
        {
            "total_params": 101_001,
            "active_params": 101_001,
            "architecture": {"layers": 4, "vocab_size": 1010},
        },
        model,
    )
    checks = {c.field: c for c in result.checks}
    assert not checks["total_params"].matches and checks[
        "total_params"
    ].difference == pytest.approx(0.01001)
    assert not checks["active_params"].matches  # a dense model's active count is its total
    assert checks["layers"].matches and checks["vocab_size"].matches  # 1.0 % is within
    assert result.summary == "measured 101.00K total against claimed 100K"
    assert (format_measured(7_241_732_096), format_claimed(7_241_732_096)) == ("7.24B", "7.242B")


def test_without_torch_the_probe_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r"needs 'torch'.*pip install 'model-registry\[probe\]'"):
        require_torch()
