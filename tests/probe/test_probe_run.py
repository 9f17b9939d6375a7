"""The probe end to end on CPU: positive, consistent metrics; errors a person understands."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest

from registry.errors import RegistryError
from registry.probe.errors import DeviceError
from registry.probe.loading import plan_device_map, resolve_device, translating_oom
from registry.probe.measure import loaded_params
from registry.probe.perplexity import score_text
from registry.probe.runner import ProbeSettings, read_text, run_probe


@pytest.mark.parametrize(("family", "batch"), [("llama", 2), ("mixtral", 1)])
def test_metrics_are_positive_and_consistent(
    torch: ModuleType, checkpoints: dict[str, Path], family: str, batch: int
) -> None:
    steps: list[str] = []
    settings = ProbeSettings(
        model_dir=checkpoints[family],
        device="cpu",
        batch=batch,
        prompt_tokens=16,
        new_tokens=6,
        warmup=1,
        runs=3,
    )
    run = run_probe(settings, progress=steps.append)
    assert run.device == "cpu" and run.dtype == "float32" and run.model_type == family
    assert run.weights_bytes == 4 * run.total_params
    for name in (
        "load_s",
        "peak_memory_bytes",
        "ttft_s",
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
        "tpot_s",
        "token_latency_p50_s",
        "perplexity",
        "bits_per_byte",
    ):
        assert getattr(run, name) > 0, name
    assert run.tpot_s * run.decode_tokens_per_s == pytest.approx(batch, rel=1e-6)
    assert run.prefill_tokens_per_s == pytest.approx(batch * 16 / run.ttft_s)
    assert run.token_latency_p50_s <= run.token_latency_p99_s
    assert run.perplexity_tokens and run.perplexity_tokens > 100
    assert run.mbu is None and run.roofline_note == "roofline (MBU, MFU) is computed on CUDA only"
    assert run.notes is None  # headers and loaded model agree
    assert steps[0].startswith("counting") and "warm-up 1/1" in steps
    assert [s for s in steps if s.startswith("measuring")] == [
        f"measuring run {i}/3" for i in (1, 2, 3)
    ]


def test_perplexity_scores_every_token_once_whatever_the_window(
    torch: ModuleType, checkpoints: dict[str, Path]
) -> None:
    from registry.probe.loading import load_model, require_torch

    _, transformers = require_torch()
    loaded = load_model(
        torch,
        transformers,
        checkpoints["llama"],
        device="cpu",
        dtype="float32",
        device_map="single",
    )
    text = read_text(None)[0][:1500]
    whole = score_text(torch, loaded.model, loaded.tokenizer, text, window=256, stride=256)
    strided = score_text(torch, loaded.model, loaded.tokenizer, text, window=64, stride=16)
    assert whole.tokens == strided.tokens == len(loaded.tokenizer(text)["input_ids"])
    assert whole.bytes == len(text.encode())
    # A random model is near-uniform over its vocabulary: perplexity close to 300.
    assert 100 < whole.perplexity < 1000 and 100 < strided.perplexity < 1000
    assert whole.bits_per_byte == pytest.approx(
        math.log2(whole.perplexity) * whole.tokens / whole.bytes
    )
    assert loaded_params(loaded.model) > 0


def test_cuda_asked_for_but_absent(torch: ModuleType) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError, match="--device cuda was asked for, but torch sees no CUDA"):
        resolve_device(torch, "cuda")


def test_out_of_memory_suggests_a_smaller_dtype_or_more_devices(torch: ModuleType) -> None:
    with (
        pytest.raises(
            DeviceError,
            match=r"out of GPU memory while loading x at float32: try "
            r"--dtype bfloat16 or --dtype float16.*more GPUs",
        ),
        translating_oom(torch, dtype="float32", doing="loading x"),
    ):
        raise torch.OutOfMemoryError("CUDA out of memory")


def test_device_plan_splits_only_when_one_gpu_is_too_small() -> None:
    gb = 10**9
    assert (
        plan_device_map(weights_bytes=15 * gb, free_bytes=[80 * gb], dtype="bfloat16") == "single"
    )
    assert (
        plan_device_map(weights_bytes=100 * gb, free_bytes=[80 * gb] * 2, dtype="bfloat16")
        == "auto"
    )
    with pytest.raises(DeviceError, match=r"need 200\.0 GB at bfloat16.*a quantized copy"):
        plan_device_map(weights_bytes=200 * gb, free_bytes=[80 * gb] * 2, dtype="bfloat16")


def test_bad_settings_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="--runs must be at least 1, got 0"):
        ProbeSettings(model_dir=tmp_path, runs=0)
    with pytest.raises(RegistryError, match="--new-tokens must be at least 2, got 1"):
        ProbeSettings(model_dir=tmp_path, new_tokens=1)
    with pytest.raises(RegistryError, match="cannot read --text"):
        read_text(tmp_path / "missing.txt")
