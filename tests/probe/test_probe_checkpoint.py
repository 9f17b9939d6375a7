"""Counting from config.json and safetensors headers, without torch (docs/SCIENCE.md section 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe_support import TINY_CONFIGS, write_config, write_safetensors

from registry.calc import architecture_from_hf_config, count_params
from registry.probe.checkpoint import count_checkpoint
from registry.probe.errors import CannotCount, CheckpointError

CALC_CONFIGS = Path(__file__).parent.parent / "calc" / "configs"


def _mixtral_shapes(*, experts: int, layers: int, fused: bool) -> dict[str, tuple[int, ...]]:
    h, ffn, vocab = 64, 128, 300
    shapes: dict[str, tuple[int, ...]] = {
        "model.embed_tokens.weight": (vocab, h),
        "lm_head.weight": (vocab, h),
        "model.norm.weight": (h,),
    }
    for i in range(layers):
        layer = f"model.layers.{i}."
        shapes |= {
            layer + "self_attn.q_proj.weight": (h, h),
            layer + "self_attn.k_proj.weight": (32, h),
            layer + "self_attn.v_proj.weight": (32, h),
            layer + "self_attn.o_proj.weight": (h, h),
            layer + "input_layernorm.weight": (h,),
            layer + "post_attention_layernorm.weight": (h,),
            layer + "block_sparse_moe.gate.weight": (experts, h),
        }
        if fused:  # Transformers 5's in-memory layout: one 3-D tensor per projection
            shapes |= {
                layer + "mlp.experts.gate_up_proj": (experts, 2 * ffn, h),
                layer + "mlp.experts.down_proj": (experts, h, ffn),
            }
        else:
            for e in range(experts):
                for w, shape in (("w1", (ffn, h)), ("w2", (h, ffn)), ("w3", (ffn, h))):
                    shapes[f"{layer}block_sparse_moe.experts.{e}.{w}.weight"] = shape
    return shapes


@pytest.mark.parametrize("fused", [False, True])
def test_mixtral_headers_count_total_and_active_exactly(tmp_path: Path, fused: bool) -> None:
    directory = write_config(tmp_path / "m", TINY_CONFIGS["mixtral"])
    write_safetensors(
        directory / "model.safetensors", _mixtral_shapes(experts=4, layers=2, fused=fused)
    )
    census = count_checkpoint(directory)
    expected = count_params(architecture_from_hf_config(TINY_CONFIGS["mixtral"]))
    assert (census.total, census.active) == (expected.total, expected.active) == (260_416, 162_112)
    assert census.source == "safetensors"
    assert (census.experts, census.experts_per_token) == (4, 2)
    assert census.routed_expert == 2 * 4 * 3 * 64 * 128
    assert census.notes == []


def test_sharded_checkpoint_is_read_through_its_index(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "m", TINY_CONFIGS["mixtral"])
    shapes = _mixtral_shapes(experts=4, layers=2, fused=False)
    names = sorted(shapes)
    half = len(names) // 2
    parts = {
        "model-00001-of-00002.safetensors": names[:half],
        "model-00002-of-00002.safetensors": names[half:],
    }
    for file, part in parts.items():
        write_safetensors(directory / file, {n: shapes[n] for n in part})
    write_safetensors(
        directory / "stray.safetensors", {"extra.weight": (1000,)}
    )  # not in the index
    weight_map = {n: file for file, part in parts.items() for n in part}
    (directory / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    census = count_checkpoint(directory)
    assert census.total == 260_416 and census.files == 2


def test_mtp_layers_and_buffers_are_left_out(tmp_path: Path) -> None:
    config = {**TINY_CONFIGS["llama"], "num_hidden_layers": 1}
    directory = write_config(tmp_path / "m", config)
    shapes = {
        "model.embed_tokens.weight": (300, 64),
        "model.layers.0.mlp.up_proj.weight": (128, 64),
        "model.layers.1.mlp.up_proj.weight": (128, 64),  # an MTP layer past num_hidden_layers
        "model.layers.0.self_attn.rotary_emb.inv_freq": (8,),
    }
    write_safetensors(directory / "model.safetensors", shapes)
    census = count_checkpoint(directory)
    assert census.total == 300 * 64 + 128 * 64
    assert (census.excluded_mtp, census.excluded_buffers) == (128 * 64, 8)


def test_without_safetensors_the_config_formula_counts(tmp_path: Path) -> None:
    config = json.loads((CALC_CONFIGS / "mixtral-8x7b.json").read_text())
    census = count_checkpoint(write_config(tmp_path / "m", config))
    assert census.source == "config"
    assert (census.total, census.active) == (46_702_792_704, 12_879_925_248)


def test_unknown_dense_architecture_is_counted_from_its_headers(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "m", {"model_type": "mystery", "num_hidden_layers": 1})
    write_safetensors(directory / "model.safetensors", {"w.weight": (10, 10)})
    census = count_checkpoint(directory)
    assert census.total == census.active == 100
    assert "'mystery' is not known" in census.notes[0]


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        ("missing", CheckpointError, "does not exist"),
        ("no-config", CheckpointError, "has no config.json"),
        ("bad-json", CheckpointError, "cannot read"),
        ("unknown-arch", CannotCount, "unsupported model_type 'mystery'"),
        ("unknown-moe", CannotCount, "routed-expert tensors"),
        ("bad-header", CheckpointError, "not a readable safetensors file"),
    ],
)
def test_errors_say_what_is_wrong(
    tmp_path: Path, setup: str, error: type[Exception], message: str
) -> None:
    directory = tmp_path / "m"
    if setup != "missing":
        directory.mkdir()
    if setup == "bad-json":
        (directory / "config.json").write_text("{not json")
    if setup in ("unknown-arch", "unknown-moe"):
        write_config(directory, {"model_type": "mystery"})
    if setup == "unknown-moe":
        write_safetensors(
            directory / "model.safetensors", {"layers.0.mlp.experts.0.w1.weight": (2, 2)}
        )
    if setup == "bad-header":
        write_config(directory, TINY_CONFIGS["llama"])
        (directory / "model.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    with pytest.raises(error, match=message) as caught:
        count_checkpoint(directory)
    assert "m" in str(caught.value)
