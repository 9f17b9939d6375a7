"""Quantized checkpoints are counted as the unquantized model: each format built offline in its
real packing layout, and its logical count checked against the reference model's exact count."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from probe_support import TINY_CONFIGS, require
from quant_support import (
    awq_pack,
    gguf_tensors,
    gptq_pack,
    q4_k,
    reference_model,
    unpack_gptq,
    unpack_zeros,
    write_gguf,
    write_quantized,
    write_raw_safetensors,
)
from typer.testing import CliRunner

from registry.calc import architecture_from_hf_config, count_params
from registry.cli.app import app
from registry.probe.checkpoint import count_checkpoint
from registry.probe.errors import CannotCount, CheckpointError
from registry.probe.formats import count_path, count_report

METHODS = ("gptq", "awq", "bnb4", "bnb4-nested", "bnb8", "compressed", "fp8")
REPORTED = {
    "gptq": ("gptq", 4, 32),
    "awq": ("awq", 4, 32),
    "bnb4": ("bitsandbytes", 4, 64),
    "bnb4-nested": ("bitsandbytes", 4, 64),
    "bnb8": ("bitsandbytes", 8, None),
    "compressed": ("compressed-tensors", 4, 32),
    "fp8": ("fp8", 8, [32, 32]),
}
GGUF_LLAMA = {**TINY_CONFIGS["llama"], "hidden_size": 256, "intermediate_size": 512}
GGUF_MIXTRAL = {**TINY_CONFIGS["mixtral"], "hidden_size": 256, "intermediate_size": 512}


@pytest.fixture(scope="module")
def references(torch: ModuleType) -> dict[str, tuple[dict[str, Any], int]]:
    return {family: reference_model(torch, TINY_CONFIGS[family]) for family in ("llama", "mixtral")}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("family", ["llama", "mixtral"])
def test_quantized_checkpoint_counts_as_the_unquantized_model(
    torch: ModuleType,
    references: dict[str, tuple[dict[str, Any], int]],
    tmp_path: Path,
    family: str,
    method: str,
) -> None:
    weights, exact = references[family]
    config = TINY_CONFIGS[family]
    directory = write_quantized(torch, weights, config, tmp_path / method, method=method)
    report = count_report(directory)
    formula = count_params(architecture_from_hf_config(config))
    assert report["total_params"] == exact == formula.total
    assert report["active_params"] == formula.active
    assert (report["quant_method"], report["quant_bits"], report["group_size"]) == REPORTED[method]
    # Stored: fewer bytes than 16-bit, more than the bare codes (scales, 16-bit embeddings).
    bits = report["quant_bits"]
    assert bits < report["bits_per_weight"] < 16
    assert report["weights_bytes"] == sum(
        len(data) for data in _stored(directory / "model.safetensors")
    )
    linear = sum(w.size for n, w in weights.items() if w.ndim == 2 and ".layers." in n)
    router = sum(w.size for n, w in weights.items() if n.endswith("mlp.gate.weight"))
    assert report["quantized_params"] == linear - router
    assert sum(report["components"].values()) == exact
    assert report["notes"] == []


def _stored(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    return [
        raw[8 + length + s : 8 + length + e]
        for s, e in (v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    ]


def test_components_of_a_mixtral_match_the_calculator(
    torch: ModuleType, references: dict[str, tuple[dict[str, Any], int]], tmp_path: Path
) -> None:
    weights, _ = references["mixtral"]
    directory = write_quantized(
        torch, weights, TINY_CONFIGS["mixtral"], tmp_path / "g", method="gptq"
    )
    parts = count_report(directory)["components"]
    h, ffn, vocab, experts = 64, 128, 300, 4
    assert parts["embeddings"] == parts["head"] == vocab * h
    assert parts["attention"] == 2 * (h * h * 2 + 2 * 32 * h)
    assert parts["experts"] == 2 * experts * 3 * h * ffn
    assert parts["router"] == 2 * experts * h
    assert parts["norms"] == 2 * 2 * h + h
    assert parts["mlp"] == parts["shared_experts"] == parts["other"] == 0


def test_gptq_and_awq_pack_along_different_dimensions() -> None:
    w = np.random.default_rng(1).normal(size=(16, 64)).astype(np.float32)  # (out, in)
    gptq, awq = gptq_pack(w, group=32), awq_pack(w, group=32)
    assert gptq["qweight"][1] == (64 // 8, 16) and gptq["g_idx"][1] == (64,)
    assert gptq["qzeros"][1] == (2, 16 // 8) and gptq["scales"][1] == (2, 16)
    assert awq["qweight"][1] == (64, 16 // 8) and awq["qzeros"][1] == (2, 2)
    # The GPTQ codes unpack to a faithful 4-bit copy of W.
    codes = unpack_gptq(np.frombuffer(gptq["qweight"][2], dtype=np.int32).reshape(8, 16))
    scales = np.frombuffer(gptq["scales"][2], dtype=np.float16).astype(np.float32).reshape(2, 16)
    zero = unpack_zeros(np.frombuffer(gptq["qzeros"][2], dtype=np.int32).reshape(2, 2))
    back = (codes.reshape(2, 32, 16).astype(np.float32) - zero[:, None, :]) * scales[:, None, :]
    error = np.abs(back.reshape(64, 16).T - w).reshape(16, 2, 32).max(-1)  # (out, groups)
    assert np.all(error <= scales.T * 1.01)


def test_sharded_gptq_checkpoint_is_counted_through_its_index(
    torch: ModuleType, references: dict[str, tuple[dict[str, Any], int]], tmp_path: Path
) -> None:
    weights, exact = references["llama"]
    single = write_quantized(torch, weights, TINY_CONFIGS["llama"], tmp_path / "one", method="gptq")
    raw = (single / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = {k: v for k, v in json.loads(raw[8 : 8 + length]).items() if k != "__metadata__"}
    names = sorted(header)
    sharded = tmp_path / "sharded"
    sharded.mkdir()
    (sharded / "config.json").write_text((single / "config.json").read_text())
    weight_map = {}
    for part, chunk in enumerate((names[: len(names) // 2], names[len(names) // 2 :])):
        file = f"model-0000{part + 1}-of-00002.safetensors"
        tensors = {}
        for name in chunk:
            begin, end = header[name]["data_offsets"]
            tensors[name] = (
                header[name]["dtype"],
                tuple(header[name]["shape"]),
                raw[8 + length + begin : 8 + length + end],
            )
            weight_map[name] = file
        write_raw_safetensors(sharded / file, tensors)
    (sharded / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    census = count_checkpoint(sharded)
    assert (census.total, census.files) == (exact, 2)
    assert census.weights_bytes == count_checkpoint(single).weights_bytes


def test_q4_k_blocks_dequantize_through_gguf() -> None:
    gguf = require("gguf")
    x = np.random.default_rng(0).normal(size=(4, 512)).astype(np.float32)
    blocks = q4_k(x)
    assert blocks.shape == (4, 2 * 144)
    back = gguf.quants.dequantize(blocks, gguf.GGMLQuantizationType.Q4_K)
    assert back.shape == x.shape
    sub = x.reshape(-1, 32)
    step = (sub.max(1) - np.minimum(sub.min(1), 0)) / 15
    assert np.all(np.abs(back - x).reshape(-1, 32).max(1) <= step * 1.2)


@pytest.mark.parametrize(("family", "config"), [("llama", GGUF_LLAMA), ("mixtral", GGUF_MIXTRAL)])
def test_gguf_counts_as_the_unquantized_model(
    torch: ModuleType, tmp_path: Path, family: str, config: dict[str, Any]
) -> None:
    gguf = require("gguf")
    tensors, exact = gguf_tensors(torch, config)
    rope = {"rope_freqs.weight": np.ones(32, dtype=np.float32)}  # a buffer in transformers
    path = write_gguf(tmp_path / f"{family}.gguf", tensors, config, extra_tensors=rope)
    report = count_report(path)
    formula = count_params(architecture_from_hf_config(config))
    assert report["total_params"] == exact == formula.total
    assert report["active_params"] == formula.active
    assert report["excluded_buffer_params"] == 32
    types = report["quantization"]["types"]
    assert set(types) == {"F16", "F32", "Q4_K", "Q8_0"}
    assert sum(types.values()) == exact
    assert report["quantization"]["file_type"] == "MOSTLY_Q4_K_M"
    assert report["quant_method"] == "gguf" and report["format"] == "gguf"
    # Stored bytes follow each type's block size: Q4_K 144 B / 256, Q8_0 34 B / 32.
    expected = 2 * types["F16"] + 4 * types["F32"] + types["Q4_K"] * 144 // 256
    expected += types["Q8_0"] * 34 // 32
    reader = gguf.GGUFReader(path)
    assert (
        report["weights_bytes"] == expected + 4 * 32 == sum(int(t.n_bytes) for t in reader.tensors)
    )
    assert sum(report["components"].values()) == exact
    if family == "mixtral":
        assert report["components"]["experts"] == 2 * 4 * 3 * 256 * 512
        assert (report["experts"], report["experts_per_token"]) == (4, 2)


@pytest.fixture
def tiny_gguf(torch: ModuleType, tmp_path: Path) -> Path:
    require("gguf")
    tensors, _ = gguf_tensors(torch, GGUF_LLAMA)
    return write_gguf(tmp_path / "tiny.gguf", tensors, GGUF_LLAMA)


def test_truncated_gguf_is_one_clear_error(tiny_gguf: Path) -> None:
    raw = tiny_gguf.read_bytes()
    for cut in (len(raw) - 1000, 2000, 30):
        broken = tiny_gguf.with_name(f"cut-{cut}.gguf")
        broken.write_bytes(raw[:cut])
        with pytest.raises(
            CheckpointError, match="truncated or its header lies about its sizes"
        ) as caught:
            count_path(broken)
        assert str(broken) in caught.value.message and f"{cut:,}" in caught.value.message


def test_gguf_header_lying_about_a_tensor_size_is_refused(tiny_gguf: Path) -> None:
    raw = bytearray(tiny_gguf.read_bytes())
    name = b"blk.0.attn_q.weight"
    at = raw.index(name) + len(name)
    (dims,) = struct.unpack_from("<I", raw, at)
    assert dims == 2
    struct.pack_into("<Q", raw, at + 4 + 8, 256 * 64)  # 256 rows said to be 16,384
    liar = tiny_gguf.with_name("liar.gguf")
    liar.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="lies about its sizes") as caught:
        count_path(liar)
    assert str(liar) in caught.value.message


def test_safetensors_header_lying_about_sizes_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(TINY_CONFIGS["llama"]))
    header = {"w.weight": {"dtype": "F32", "shape": [300, 64], "data_offsets": [0, 100]}}
    encoded = json.dumps(header).encode()
    (directory / "model.safetensors").write_bytes(
        struct.pack("<Q", len(encoded)) + encoded + bytes(100)
    )
    with pytest.raises(
        CheckpointError,
        match=r"F32 \[300, 64\], expected 76,800 bytes, but its data_offsets span 100",
    ):
        count_path(directory)
    header = {"w.weight": {"dtype": "F32", "shape": [300, 64], "data_offsets": [0, 76_800]}}
    encoded = json.dumps(header).encode()
    (directory / "model.safetensors").write_bytes(
        struct.pack("<Q", len(encoded)) + encoded + bytes(100)
    )
    with pytest.raises(
        CheckpointError,
        match=r"needs bytes up to .* but the file has .*truncated or its header lies",
    ):
        count_path(directory)


def test_unknown_quantization_method_is_not_guessed(tmp_path: Path) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    config = TINY_CONFIGS["llama"] | {"quantization_config": {"quant_method": "mystery4"}}
    (directory / "config.json").write_text(json.dumps(config))
    write_raw_safetensors(directory / "model.safetensors", {"w.qweight": ("I32", (2,), bytes(8))})
    with pytest.raises(
        CannotCount, match="quantization method 'mystery4' is not one the counter knows"
    ):
        count_path(directory)


def test_bnb_quant_state_disagreeing_with_its_codes_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    config = TINY_CONFIGS["llama"] | {
        "quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}
    }
    (directory / "config.json").write_text(json.dumps(config))
    state = json.dumps({"quant_type": "nf4", "blocksize": 64, "shape": [64, 64]}).encode()
    write_raw_safetensors(
        directory / "model.safetensors",
        {
            "model.layers.0.mlp.up_proj.weight": ("U8", (100, 1), bytes(100)),
            "model.layers.0.mlp.up_proj.weight.quant_state.bitsandbytes__nf4": (
                "U8",
                (len(state),),
                state,
            ),
        },
    )
    with pytest.raises(
        CheckpointError,
        match=r"holds 100 bytes of 4-bit codes, but its quant_state says shape \[64, 64\], expected 2,048",
    ):
        count_path(directory)


@pytest.mark.parametrize(
    ("case", "found"),
    [
        ("text", "found a file of 12 bytes starting with b'hello wo'"),
        ("empty", "found an empty file"),
        ("fake-gguf", "found a .gguf file without the GGUF magic (it starts with b'GGML')"),
        ("lone-safetensors", "a single safetensors file: give its directory"),
    ],
)
def test_neither_checkpoint_nor_gguf_is_one_line_on_the_cli(
    tmp_path: Path, case: str, found: str
) -> None:
    path = {
        "text": tmp_path / "notes.txt",
        "empty": tmp_path / "empty.bin",
        "fake-gguf": tmp_path / "model.gguf",
        "lone-safetensors": tmp_path / "model.safetensors",
    }[case]
    path.write_bytes(
        {
            "text": b"hello world\n",
            "empty": b"",
            "fake-gguf": b"GGML" + bytes(60),
            "lone-safetensors": bytes(16),
        }[case]
    )
    result = CliRunner().invoke(app, ["probe", str(path), "--count-only", "--json"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {str(path)!r}: expected a Hugging Face checkpoint directory"
    )
    assert found in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_cli_count_only_prints_the_report(tiny_gguf: Path) -> None:
    result = CliRunner().invoke(app, ["probe", str(tiny_gguf), "--count-only", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == count_report(tiny_gguf)
    table = CliRunner().invoke(app, ["probe", str(tiny_gguf), "--count-only"])
    assert table.exit_code == 0 and f"{data['total_params']:,}" in table.stdout


def test_count_only_needs_no_torch(
    torch: ModuleType,
    references: dict[str, tuple[dict[str, Any], int]],
    tmp_path: Path,
    tiny_gguf: Path,
) -> None:
    weights, exact = references["mixtral"]
    directory = write_quantized(
        torch, weights, TINY_CONFIGS["mixtral"], tmp_path / "awq", method="awq"
    )
    for path, total in ((directory, exact), (tiny_gguf, None)):
        code = (
            "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
            "from registry.cli.app import main\n"
            f"sys.argv = ['registry', 'probe', {str(path)!r}, '--count-only', '--json']\n"
            "main()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert "torch" not in done.stderr
        if total is not None:
            assert data["total_params"] == total and data["quant_method"] == "awq"
        else:
            assert data["total_params"] == count_path(tiny_gguf).total


def test_directory_of_gguf_files_points_at_the_file(tiny_gguf: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"has no config.json but holds GGUF files \(tiny.gguf\)"
    ):
        count_path(tiny_gguf.parent)


def test_bits_per_weight_is_stored_bits_over_logical_params(
    torch: ModuleType, references: dict[str, tuple[dict[str, Any], int]], tmp_path: Path
) -> None:
    weights, exact = references["llama"]
    directory = write_quantized(
        torch, weights, TINY_CONFIGS["llama"], tmp_path / "q", method="gptq"
    )
    report = count_report(directory)
    assert report["bits_per_weight"] == pytest.approx(8 * report["weights_bytes"] / exact, abs=1e-4)
    raw = (directory / "model.safetensors").read_bytes()
    (header,) = struct.unpack("<Q", raw[:8])
    assert report["weights_bytes"] == len(raw) - 8 - header


@pytest.mark.parametrize(
    ("method", "quant_method", "extra"),
    [
        ("gptq", "gptq", "gptq"),
        ("awq", "awq", "gptq"),
        ("bnb4", "bitsandbytes", "bnb"),
        ("compressed", "compressed-tensors", "compressed-tensors"),
    ],
)
def test_loading_without_its_runtime_names_the_extra(
    torch: ModuleType,
    references: dict[str, tuple[dict[str, Any], int]],
    tmp_path: Path,
    method: str,
    quant_method: str,
    extra: str,
) -> None:
    from registry.probe.quant import runtime_missing

    if runtime_missing(quant_method) is None:
        pytest.skip(f"the {extra} runtime is installed here")
    weights, _ = references["llama"]
    directory = write_quantized(
        torch, weights, TINY_CONFIGS["llama"], tmp_path / method, method=method
    )
    result = CliRunner().invoke(app, ["probe", str(directory), "--device", "cpu", "--no-record"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: loading a {quant_method} checkpoint needs ")
    assert f"pip install 'model-registry[probe,{extra}]'" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
