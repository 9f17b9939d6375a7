"""Parameter counts from real config.json files against published totals (docs/SCIENCE.md section 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.calc import (
    Architecture,
    CalcError,
    ConfigError,
    architecture_from_hf_config,
    count_params,
)

CONFIGS = Path(__file__).parent / "configs"


def load(name: str) -> dict:
    return json.loads((CONFIGS / f"{name}.json").read_text(encoding="utf-8"))


def counted(name: str, **options: bool):
    return count_params(architecture_from_hf_config(load(name)), **options)


# (config, published total, published active, tolerance, source)
PUBLISHED = [
    ("llama-2-7b", 6.74e9, None, 0.001, "Llama 2 paper / model card: 6.74B"),
    ("llama-3-8b", 8.03e9, None, 0.001, "Meta-Llama-3-8B model card: 8.03B"),
    ("mistral-7b", 7.24e9, None, 0.001, "Mistral-7B-v0.1 model card: 7.24B"),
    ("qwen2-7b", 7.62e9, None, 0.001, "Qwen2 technical report: 7.6B"),
    ("gemma-2b", 2.51e9, None, 0.002, "Gemma report: 2.51B"),
    ("phi-3-mini-4k", 3.82e9, None, 0.001, "Phi-3 report: 3.8B"),
    ("olmo-2-7b", 7.30e9, None, 0.002, "OLMo-2-1124-7B model card: 7.30B"),
    ("gpt2", 124.4e6, None, 0.001, "GPT-2 small: 124M"),
    ("mixtral-8x7b", 46.7e9, 12.9e9, 0.002, "Mixtral of Experts: 46.7B total, 12.9B active"),
    ("qwen1.5-moe-a2.7b", 14.3e9, 2.7e9, 0.01, "Qwen1.5-MoE-A2.7B: 14.3B total, 2.7B active"),
    ("qwen3-30b-a3b", 30.5e9, 3.3e9, 0.02, "Qwen3-30B-A3B model card: 30.5B total, 3.3B active"),
    ("deepseek-v2", 236e9, 21e9, 0.02, "DeepSeek-V2 paper: 236B total, 21B active"),
    ("deepseek-v3", 671e9, 37e9, 0.015, "DeepSeek-V3 report: 671B total, 37B active"),
]


@pytest.mark.parametrize(
    ("name", "total", "active", "tolerance", "source"), PUBLISHED, ids=[row[0] for row in PUBLISHED]
)
def test_counts_match_published_totals(name, total, active, tolerance, source) -> None:
    count = counted(name)
    assert count.total == pytest.approx(total, rel=tolerance), source
    assert count.active == pytest.approx(active or total, rel=tolerance), source


@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("llama-2-7b", 6_738_415_616),
        ("mistral-7b", 7_241_732_096),
        ("mixtral-8x7b", 46_702_792_704),
        ("gpt2", 124_439_808),
        ("gemma-2b", 2_506_172_416),
        ("llama-3-8b", 8_030_261_248),
        ("phi-3-mini-4k", 3_821_079_552),
        ("qwen2-7b", 7_615_616_512),
    ],
)
def test_counts_equal_the_checkpoints_to_the_parameter(name: str, exact: int) -> None:
    # Exact totals of the released safetensors checkpoints (transformers' num_parameters()).
    assert counted(name).total == exact


def test_deepseek_v3_mtp_is_excluded_unless_asked() -> None:
    main, with_mtp = counted("deepseek-v3"), counted("deepseek-v3", include_mtp=True)
    assert "MTP modules excluded" in main.convention and "included" in with_mtp.convention
    # DeepSeek-V3 report: the checkpoint's 685B = 671B main model + 14B MTP module (incl. its
    # copies of the embedding and output head); we count 13.46B, within rounding of "14B".
    assert with_mtp.total - main.total == main.mtp
    assert main.mtp == pytest.approx(14e9, rel=0.05)
    assert with_mtp.total == pytest.approx(685e9, rel=0.002)
    assert main.layers == 61 and main.experts == 256 and main.experts_per_token == 8


def test_deepseek_v2_lite_active_counts_embedding_lookups() -> None:
    # DeepSeek reports 15.7B total and 2.4B active for V2-Lite: its active count leaves out the
    # input embedding lookup (0.21B), which this registry's convention includes.
    count = counted("deepseek-v2-lite")
    assert count.total == pytest.approx(15.7e9, rel=0.005)
    assert count.active - 102400 * 2048 == pytest.approx(2.4e9, rel=0.03)


def test_embedding_split_and_tied_embeddings() -> None:
    gemma, llama = counted("gemma-2b"), counted("llama-2-7b")
    assert gemma.embedding == 256000 * 2048  # tied: counted once
    assert llama.embedding == 2 * 32000 * 4096
    assert llama.non_embedding == llama.total - llama.embedding


def test_mixtral_is_47b_not_56b() -> None:
    # Only the FFN blocks are replicated: attention, embeddings and norms are shared.
    mixtral, mistral = counted("mixtral-8x7b"), counted("mistral-7b")
    assert mixtral.total < 8 * mistral.total * 0.85
    ffn = 3 * 4096 * 14336 * 32
    assert mixtral.total - mistral.total == 7 * ffn + 32 * 8 * 4096


def test_qwen_moe_sparse_step_and_mlp_only_layers() -> None:
    config = load("qwen1.5-moe-a2.7b") | {"decoder_sparse_step": 2, "mlp_only_layers": [1]}
    arch = architecture_from_hf_config(config)
    assert [arch.is_moe_layer(i) for i in range(6)] == [False, False, False, True, False, True]
    dense_layer, moe_layer = (
        3 * 2048 * 5632,
        60 * 3 * 2048 * 1408 + 60 * 2048 + 3 * 2048 * 5632 + 2048,
    )
    full = counted("qwen1.5-moe-a2.7b").total
    assert count_params(arch).total == full - 13 * (moe_layer - dense_layer)


def test_deepseek_dense_layers_use_the_dense_width() -> None:
    arch = architecture_from_hf_config(load("deepseek-v3"))
    assert arch.dense_layers == 3 and [arch.is_moe_layer(i) for i in range(4)] == [False] * 3 + [
        True
    ]
    assert arch.is_mla and arch.q_lora_rank == 1536


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_type": "mamba"}, r"unsupported model_type 'mamba'; supported: .*llama"),
        ({"hidden_size": 8}, "config lacks model_type"),
        (
            {"model_type": "llama", "hidden_size": 4096},
            "llama config lacks num_hidden_layers, num_attention_heads, vocab_size",
        ),
        (
            {
                "model_type": "mixtral",
                "hidden_size": 64,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "vocab_size": 10,
                "intermediate_size": 8,
            },
            "mixtral config lacks num_local_experts, num_experts_per_tok",
        ),
    ],
)
def test_unknown_or_incomplete_configs_name_what_is_missing(config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        architecture_from_hf_config(config)


def test_architecture_checks_its_fields() -> None:
    with pytest.raises(CalcError, match=r"mlp must be one of .*got 'swiglu'"):
        Architecture(layers=2, hidden_size=8, vocab_size=10, attention_heads=2, mlp="swiglu")
    with pytest.raises(CalcError, match=r"experts_per_token must be in 1\.\.8, got 9"):
        Architecture(
            layers=2,
            hidden_size=8,
            vocab_size=10,
            attention_heads=2,
            experts=8,
            experts_per_token=9,
        )


def test_architecture_is_frozen_and_keyword_only() -> None:
    arch = Architecture(layers=2, hidden_size=8, vocab_size=10, attention_heads=2)
    assert arch.n_kv == 2 and arch.d_head == 4 and arch.mlp == "gated" and arch.norm == "rmsnorm"
    with pytest.raises(TypeError):
        Architecture(2, 8, 10, 2)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        arch.layers = 3  # type: ignore[misc]


TRANSFORMERS_CASES = [
    "llama-2-7b",
    "mistral-7b",
    "qwen2-7b",
    "gemma-2b",
    "phi-3-mini-4k",
    "olmo-2-7b",
    "gpt2",
    "mixtral-8x7b",
    "qwen1.5-moe-a2.7b",
    "qwen3-30b-a3b",
    "deepseek-v2-lite",
    "deepseek-v3",
]


@pytest.mark.parametrize("name", TRANSFORMERS_CASES)
def test_counts_equal_transformers_models_built_on_the_meta_device(name: str) -> None:
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    config = {key: value for key, value in load(name).items() if not key.startswith("_")}
    hf_config = transformers.AutoConfig.for_model(**config)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(hf_config)
    assert counted(name).total == sum(p.numel() for p in model.parameters())
