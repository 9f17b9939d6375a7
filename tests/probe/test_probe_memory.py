"""Memory predicted by the calculator against measured, on the tiny checkpoints on CPU."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from probe_support import TINY_CONFIGS

from registry.calc import architecture_from_hf_config
from registry.probe.memory_check import cache_bytes, note, predict, weights_dtype
from registry.probe.runner import ProbeSettings, run_probe


@pytest.mark.parametrize(
    ("family", "fast"),
    [
        ("llama", False),
        ("llama", True),
        ("mixtral", False),
        ("qwen2_moe", True),
        ("deepseek_v3", False),
    ],
)
def test_prediction_is_within_ten_percent_of_the_measurement(
    torch: ModuleType, checkpoints: dict[str, Path], family: str, fast: bool
) -> None:
    settings = ProbeSettings(
        model_dir=checkpoints[family],
        device="cpu",
        batch=2,
        prompt_tokens=16,
        new_tokens=6,
        warmup=0,
        runs=1,
        fast_path=fast,
    )
    run = run_probe(settings)
    assert run.predicted_weights_bytes and run.predicted_kv_cache_bytes and run.kv_cache_bytes
    assert run.predicted_weights_bytes == pytest.approx(run.weights_bytes, rel=0.10)
    assert run.predicted_kv_cache_bytes == pytest.approx(run.kv_cache_bytes, rel=0.10)
    # The cache holds prompt + new - 1 tokens (the last token is never fed back): one token less
    # than the calculator's context of prompt + new.
    per_token = run.predicted_kv_cache_bytes // (2 * 22)
    assert run.kv_cache_bytes == 2 * 21 * per_token
    assert run.runtime and run.runtime.startswith("transformers ")
    assert run.quantization is None and run.bits_per_weight == pytest.approx(32, rel=0.01)
    assert run.peak_memory_bytes > run.predicted_weights_bytes + run.predicted_kv_cache_bytes


def test_prediction_follows_dtype_and_quantization() -> None:
    arch = architecture_from_hf_config(TINY_CONFIGS["llama"])
    full = predict(arch, dtype="float32", batch=1, prompt_tokens=10, new_tokens=6)
    half = predict(arch, dtype="bfloat16", batch=1, prompt_tokens=10, new_tokens=6)
    four = predict(
        arch, dtype="bfloat16", quantization={"bits": 4}, batch=1, prompt_tokens=10, new_tokens=6
    )
    assert full and half and four
    assert full.weights_bytes == 2 * half.weights_bytes == 8 * four.weights_bytes
    assert half.kv_cache_bytes == four.kv_cache_bytes == 2 * 2 * 2 * 16 * 2 * 16  # L kv 2 d B ctx
    assert (weights_dtype("float16", {"bits": 8.5}), weights_dtype("float32", None)) == (
        "int8",
        "fp32",
    )
    assert predict(None, dtype="float32", batch=1, prompt_tokens=1, new_tokens=2) is None


def test_cache_bytes_reads_both_cache_shapes(torch: ModuleType) -> None:
    key = torch.zeros(1, 2, 5, 16)
    legacy = ((key, key), (key, key))
    assert cache_bytes(legacy) == 4 * key.nbytes

    class Layer:
        keys = key
        values = key

    class Cache:
        layers = (Layer(), Layer())

    assert cache_bytes(Cache()) == 4 * key.nbytes
    assert cache_bytes(object()) is None


def test_a_kv_cache_far_from_the_prediction_is_noted() -> None:
    arch = architecture_from_hf_config(TINY_CONFIGS["llama"])
    prediction = predict(arch, dtype="float32", batch=1, prompt_tokens=10, new_tokens=6)
    assert prediction is not None
    assert note(prediction, prediction.kv_cache_bytes) is None
    assert note(prediction, int(prediction.kv_cache_bytes * 0.92)) is None
    message = note(prediction, 4 * prediction.kv_cache_bytes)
    assert message and "(+300%)" in message
