"""``registry probe FILE.gguf``: measured with llama.cpp where llama-cpp-python is installed; one
clear line naming the extra where it is not. The runtime is an optional extra kept out of CI
(it builds from source for minutes), so its measuring test skips without it, even on CI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from probe_support import TINY_CONFIGS
from quant_support import gguf_tensors, write_gguf
from typer.testing import CliRunner

from registry.cli.app import app
from registry.probe.formats import count_path
from registry.probe.gguf_runtime import architecture_of, hf_config
from registry.probe.runner import ProbeSettings, read_text, run_probe
from registry.probe.synthetic import build_tokenizer

CONFIG = {**TINY_CONFIGS["llama"], "hidden_size": 256, "intermediate_size": 512}
HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None


@pytest.fixture(scope="module")
def gguf_model(torch: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tensors, _ = gguf_tensors(torch, CONFIG)
    tokenizer = build_tokenizer(read_text(None)[0], vocab_size=CONFIG["vocab_size"])
    path = tmp_path_factory.mktemp("gguf") / "tiny-q4km.gguf"
    return write_gguf(path, tensors, CONFIG, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def short_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A part of the bundled text: llama.cpp's generic CPU build scores it in seconds."""
    path = tmp_path_factory.mktemp("text") / "sample.txt"
    path.write_text(read_text(None)[0][:1500], encoding="utf-8")
    return path


def test_the_calculator_reads_the_gguf_architecture(gguf_model: Path) -> None:
    from registry.calc import architecture_from_hf_config, count_params

    arch = architecture_of(gguf_model)
    assert arch == architecture_from_hf_config(CONFIG)
    assert count_params(arch).total == count_path(gguf_model).total
    assert hf_config({"general.architecture": "mamba"}) is None


@pytest.mark.skipif(HAS_LLAMA_CPP, reason="llama-cpp-python is installed here")
def test_without_llama_cpp_the_extra_is_named(gguf_model: Path) -> None:
    result = CliRunner().invoke(app, ["probe", str(gguf_model), "--no-record"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: running a GGUF file needs llama-cpp-python: ")
    assert "pip install 'model-registry[gguf-runtime]'" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.skipif(not HAS_LLAMA_CPP, reason="needs the gguf-runtime extra (llama-cpp-python)")
def test_gguf_is_measured_with_llama_cpp(gguf_model: Path, short_text: Path) -> None:
    settings = ProbeSettings(
        model_dir=gguf_model,
        device="cpu",
        prompt_tokens=16,
        new_tokens=6,
        warmup=1,
        runs=3,
        text=short_text,
    )
    run = run_probe(settings)
    census = count_path(gguf_model)
    assert (run.total_params, run.active_params) == (census.total, census.active)
    assert run.runtime and run.runtime.startswith("llama-cpp-python ")
    assert run.quantization == "gguf MOSTLY_Q4_K_M" and run.params_source == "gguf"
    for name in ("load_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s", "tpot_s"):
        assert getattr(run, name) > 0, name
    assert run.tpot_s * run.decode_tokens_per_s == pytest.approx(1, rel=1e-6)
    assert run.perplexity and 10 < run.perplexity < 10_000
    assert run.perplexity_tokens and run.perplexity_tokens > 100
    assert run.perplexity_bytes == len(short_text.read_bytes())
    # llama.cpp's model size is the tensors' stored bytes.
    assert run.weights_bytes == pytest.approx(census.weights_bytes, rel=0.10)
    assert run.predicted_weights_bytes and run.predicted_kv_cache_bytes
    with pytest.raises(Exception, match="--batch must be 1 for a GGUF file"):
        run_probe(ProbeSettings(model_dir=gguf_model, device="cpu", batch=2))


@pytest.mark.skipif(not HAS_LLAMA_CPP, reason="needs the gguf-runtime extra (llama-cpp-python)")
def test_cli_measures_a_gguf_file(gguf_model: Path, short_text: Path) -> None:
    args = [
        "probe",
        str(gguf_model),
        "--device",
        "cpu",
        "--prompt-tokens",
        "8",
        "--new-tokens",
        "4",
    ]
    args += ["--text", str(short_text)]
    result = CliRunner().invoke(
        app, [*args, "--warmup", "0", "--runs", "2", "--no-record", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_params"] == count_path(gguf_model).total and data["decode_tokens_per_s"] > 0
