"""Helpers of the probe tests: tiny configs, fake safetensors files, the extra's import rule."""

from __future__ import annotations

import importlib
import json
import math
import os
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REQUIRE_PROBE = os.environ.get("REGISTRY_REQUIRE_PROBE", "") == "1"
TINY = {
    "vocab_size": 300,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 256,
}
TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "llama": {"model_type": "llama", **TINY},
    "mixtral": {"model_type": "mixtral", **TINY, "num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen2_moe": {
        "model_type": "qwen2_moe",
        **TINY,
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "shared_expert_intermediate_size": 64,
    },
    "deepseek_v3": {
        "model_type": "deepseek_v3",
        **TINY,
        "num_hidden_layers": 3,
        "first_k_dense_replace": 1,
        "num_key_value_heads": 4,
        "n_routed_experts": 4,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "n_group": 1,
        "topk_group": 1,
        "kv_lora_rank": 16,
        "q_lora_rank": 24,
        "qk_nope_head_dim": 8,
        "qk_rope_head_dim": 8,
        "v_head_dim": 8,
    },
}


def require(module: str) -> ModuleType:
    """Import ``module``; skip without it, unless REGISTRY_REQUIRE_PROBE=1 (then fail)."""
    if REQUIRE_PROBE:
        return importlib.import_module(module)
    return pytest.importorskip(module)


def write_safetensors(
    path: Path, shapes: dict[str, tuple[int, ...]], metadata: dict[str, str] | None = None
) -> None:
    """A valid safetensors file of zero-filled float32 tensors (no torch needed)."""
    header: dict[str, Any] = {"__metadata__": metadata or {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        size = 4 * math.prod(shape)
        header[name] = {
            "dtype": "F32",
            "shape": list(shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + bytes(offset))


def write_config(directory: Path, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


def sample_run(**overrides: Any) -> dict[str, Any]:
    """A probe run as the CLI would push it (a tiny Mixtral measured on CPU)."""
    run: dict[str, Any] = {
        "model_slug": None,
        "checkpoint": "tiny-mixtral",
        "model_type": "mixtral",
        "params_source": "safetensors",
        "total_params": 260_416,
        "active_params": 162_112,
        "experts": 4,
        "experts_per_token": 2,
        "architecture": {"layers": 2, "hidden_size": 64, "vocab_size": 300, "context_length": 256},
        "device": "cpu",
        "device_name": "test CPU",
        "device_count": 1,
        "platform": "Linux",
        "python_version": "3.11.7",
        "torch_version": "2.13.0+cpu",
        "transformers_version": "5",
        "registry_version": "0.1.0",
        "dtype": "float32",
        "device_map": "single",
        "batch": 1,
        "prompt_tokens": 16,
        "new_tokens": 6,
        "warmup": 1,
        "runs": 3,
        "load_s": 0.05,
        "weights_bytes": 1_041_664,
        "peak_memory_bytes": 400_000_000,
        "peak_memory_source": "process max RSS (CPU)",
        "ttft_s": 0.01,
        "prefill_tokens_per_s": 1600.0,
        "decode_tokens_per_s": 200.0,
        "tpot_s": 0.005,
        "token_latency_p50_s": 0.005,
        "token_latency_p99_s": 0.007,
        "perplexity": 300.0,
        "bits_per_byte": 7.6,
    }
    return run | overrides


def add_model(engine: Any, *, slug: str, **values: Any) -> None:
    """Insert a model into a seeded database, in the seeds' first family."""
    from sqlmodel import Session, select

    from registry.models import Access, Family, Model, Openness, Stage

    with Session(engine) as session:
        family = session.exec(select(Family)).first()
        assert family is not None and family.id is not None
        session.add(
            Model(
                slug=slug,
                name=slug,
                family_id=family.id,
                organization_id=family.organization_id,
                access=Access.OPEN_WEIGHTS,
                openness=Openness.OPEN_WEIGHTS_PERMISSIVE,
                stage=Stage.BASE,
                **values,
            )
        )
        session.commit()
