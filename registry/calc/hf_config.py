"""Reading a Hugging Face ``config.json`` into an ``Architecture`` (docs/SCIENCE.md section 7).

Field names differ by family: Mixtral (``num_local_experts``), Qwen-MoE (``num_experts``,
``moe_intermediate_size``, ``shared_expert_intermediate_size``, ``decoder_sparse_step``,
``mlp_only_layers``), DeepSeek-V2/V3 (``n_routed_experts``, ``n_shared_experts``,
``first_k_dense_replace``, multi-head latent attention, ``num_nextn_predict_layers``).
Defaults for absent keys follow the transformers configuration class of each family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from registry.calc.architecture import Architecture
from registry.calc.errors import ConfigError

CORE_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")


def _require(config: Mapping[str, Any], keys: tuple[str, ...], *, family: str) -> None:
    """Raise ``ConfigError`` naming every key of ``keys`` absent (or null) in ``config``."""
    missing = [key for key in keys if config.get(key) is None]
    if missing:
        raise ConfigError(f"{family} config lacks {', '.join(missing)}")


def _core(config: Mapping[str, Any], *, tied_default: bool) -> dict[str, Any]:
    """Fields every Llama-like config shares."""
    return {
        "layers": int(config["num_hidden_layers"]),
        "hidden_size": int(config["hidden_size"]),
        "vocab_size": int(config["vocab_size"]),
        "attention_heads": int(config["num_attention_heads"]),
        "kv_heads": config.get("num_key_value_heads"),
        "head_dim": config.get("head_dim"),
        "ffn_size": config.get("intermediate_size"),
        "tied_embeddings": bool(config.get("tie_word_embeddings", tied_default)),
    }


def _llama(config: Mapping[str, Any], family: str, **overrides: Any) -> Architecture:
    """Llama, Mistral and their kin: GQA, SwiGLU, RMSNorm, biases only where the config says."""
    fields = _core(config, tied_default=overrides.pop("tied_default", False))
    bias = bool(config.get("attention_bias", False))
    fields |= {
        "attention_bias": bias,
        "attention_output_bias": bias,
        "linear_bias": bool(config.get("mlp_bias", False)) and bias,
    }
    return Architecture(**(fields | overrides))


def _qwen2(config: Mapping[str, Any], family: str) -> Architecture:
    """Qwen2: q/k/v biases, no output-projection bias."""
    return _llama(config, family, attention_bias=True, attention_output_bias=False)


def _qwen3(config: Mapping[str, Any], family: str) -> Architecture:
    """Qwen3: per-head RMSNorm on q and k, explicit head_dim."""
    return _llama(config, family, qk_norm="head")


def _gemma(config: Mapping[str, Any], family: str) -> Architecture:
    """Gemma: GeGLU, tied embeddings; Gemma 2 adds post-norms, Gemma 3 per-head q/k norms too."""
    extra: dict[str, Any] = {"tied_default": True}
    if family in {"gemma2", "gemma3_text"}:
        extra["norms_per_layer"] = 4
    if family == "gemma3_text":
        extra["qk_norm"] = "head"
    return _llama(config, family, **extra)


def _olmo(config: Mapping[str, Any], family: str) -> Architecture:
    """OLMo: non-parametric LayerNorm; OLMo-2: RMSNorm with q/k norms over all heads."""
    if family == "olmo":
        return _llama(config, family, norm="none")
    return _llama(config, family, qk_norm="full")


def _gpt2(config: Mapping[str, Any], family: str) -> Architecture:
    """GPT-2: learned positions, LayerNorm, plain GELU MLP (4h unless n_inner), biases, tied."""
    hidden = int(config["n_embd"])
    return Architecture(
        layers=int(config["n_layer"]),
        hidden_size=hidden,
        vocab_size=int(config["vocab_size"]),
        attention_heads=int(config["n_head"]),
        ffn_size=int(config.get("n_inner") or 4 * hidden),
        mlp="plain",
        norm="layernorm",
        linear_bias=True,
        attention_output_bias=True,
        tied_embeddings=bool(config.get("tie_word_embeddings", True)),
        learned_positions=int(config["n_positions"]),
    )


def _mixtral(config: Mapping[str, Any], family: str) -> Architecture:
    """Mixtral: every layer MoE, experts as wide as ``intermediate_size``, top-k routing."""
    return _llama(
        config,
        family,
        experts=int(config["num_local_experts"]),
        experts_per_token=int(config["num_experts_per_tok"]),
        moe_ffn_size=int(config["intermediate_size"]),
    )


def _qwen_moe(config: Mapping[str, Any], family: str) -> Architecture:
    """Qwen2-MoE / Qwen3-MoE: fine-grained experts, optional gated shared expert, sparse step."""
    shared = int(config.get("shared_expert_intermediate_size") or 0)
    return _llama(
        config,
        family,
        experts=int(config["num_experts"]),
        experts_per_token=int(config["num_experts_per_tok"]),
        moe_ffn_size=int(config["moe_intermediate_size"]),
        shared_experts=1 if shared else 0,
        shared_expert_ffn_size=shared or None,
        shared_expert_gate=bool(shared),
        moe_layer_step=int(config.get("decoder_sparse_step", 1)),
        mlp_only_layers=tuple(int(i) for i in config.get("mlp_only_layers") or ()),
        attention_bias=family == "qwen2_moe",
        attention_output_bias=False,
        qk_norm="head" if family == "qwen3_moe" else "none",
    )


def _deepseek(config: Mapping[str, Any], family: str) -> Architecture:
    """DeepSeek-V2/V3: multi-head latent attention, leading dense layers, shared experts, MTP."""
    if int(config.get("moe_layer_freq", 1)) != 1:
        raise ConfigError(
            f"{family} config has moe_layer_freq {config['moe_layer_freq']!r}; "
            "only 1 (every layer after the dense ones) is supported"
        )
    moe_width = int(config["moe_intermediate_size"])
    return _llama(
        config,
        family,
        experts=int(config["n_routed_experts"]),
        experts_per_token=int(config["num_experts_per_tok"]),
        moe_ffn_size=moe_width,
        shared_experts=int(config.get("n_shared_experts") or 0),
        shared_expert_ffn_size=moe_width,
        dense_layers=int(config.get("first_k_dense_replace", 0)),
        q_lora_rank=config.get("q_lora_rank"),
        kv_lora_rank=int(config["kv_lora_rank"]),
        qk_nope_head_dim=int(config["qk_nope_head_dim"]),
        qk_rope_head_dim=int(config["qk_rope_head_dim"]),
        v_head_dim=int(config["v_head_dim"]),
        mtp_layers=int(config.get("num_nextn_predict_layers", 0)),
        head_dim=None,
    )


DENSE_KEYS = (*CORE_KEYS, "intermediate_size")
# Keys each family's config must hold (absent ones are all named in one error).
REQUIRED: dict[str, tuple[str, ...]] = {
    "gpt2": ("n_embd", "n_layer", "n_head", "vocab_size", "n_positions"),
    "mixtral": (*DENSE_KEYS, "num_local_experts", "num_experts_per_tok"),
    "qwen2_moe": (*DENSE_KEYS, "num_experts", "num_experts_per_tok", "moe_intermediate_size"),
    "qwen3_moe": (*DENSE_KEYS, "num_experts", "num_experts_per_tok", "moe_intermediate_size"),
    "deepseek_v2": (
        *DENSE_KEYS,
        "n_routed_experts",
        "num_experts_per_tok",
        "moe_intermediate_size",
        "kv_lora_rank",
        "qk_nope_head_dim",
        "qk_rope_head_dim",
        "v_head_dim",
    ),
}
REQUIRED["deepseek_v3"] = REQUIRED["deepseek_v2"]

PARSERS: dict[str, Callable[[Mapping[str, Any], str], Architecture]] = {
    "llama": _llama,
    "mistral": _llama,
    "phi3": _llama,
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "gemma": _gemma,
    "gemma2": _gemma,
    "gemma3_text": _gemma,
    "olmo": _olmo,
    "olmo2": _olmo,
    "gpt2": _gpt2,
    "mixtral": _mixtral,
    "qwen2_moe": _qwen_moe,
    "qwen3_moe": _qwen_moe,
    "deepseek_v2": _deepseek,
    "deepseek_v3": _deepseek,
}


def architecture_from_hf_config(config: Mapping[str, Any]) -> Architecture:
    """The ``Architecture`` of a Hugging Face config mapping, by its ``model_type``."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"a config.json must hold a JSON object, got {type(config).__name__}")
    family = config.get("model_type")
    if family is None:
        raise ConfigError("config lacks model_type; supported: " + ", ".join(sorted(PARSERS)))
    if family not in PARSERS:
        raise ConfigError(
            f"unsupported model_type {family!r}; supported: " + ", ".join(sorted(PARSERS))
        )
    _require(config, REQUIRED.get(family, DENSE_KEYS), family=family)
    return PARSERS[family](config, family)
