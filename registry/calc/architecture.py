"""Transformer architectures and their parameter counts (docs/SCIENCE.md section 7).

Llama-style decoder, h = hidden_size, I = ffn_size, L = layers, n_h / n_kv heads,
d = head_dim, V = vocab:
attention = h n_h d + 2 h n_kv d + n_h d h; gated MLP = 3 h I; layer = attention + MLP + norms;
N = V h (embedding) + V h (output head, unless tied) + L layer + final norm. An MoE layer holds E
routed experts (3 h I_e each), a router (E h) and shared experts that are always active;
active = total - (routed expert params)(1 - k/E). DeepSeek-V2/V3 use multi-head latent attention
(DeepSeek-V2, arXiv:2405.04434, Section 2.1). Convention: embeddings included, MTP layers excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.calc.errors import CalcError

MLP_KINDS = ("gated", "plain")
NORM_KINDS = ("rmsnorm", "layernorm", "none")
QK_NORM_KINDS = ("none", "head", "full")


@dataclass(frozen=True, kw_only=True)
class Architecture:
    """The shape of a decoder-only transformer; field names match the registry's columns."""

    layers: int
    hidden_size: int
    vocab_size: int
    attention_heads: int
    kv_heads: int | None = None  # None: as many as attention_heads (multi-head attention)
    head_dim: int | None = None  # None: hidden_size // attention_heads
    ffn_size: int | None = None  # dense MLP intermediate size
    mlp: str = "gated"  # "gated" (SwiGLU/GeGLU, 3 h I) or "plain" (2 h I: GPT-2, NeoX, Falcon)
    norm: str = "rmsnorm"  # "layernorm" has a bias too; "none" is OLMo-1's non-parametric norm
    attention_bias: bool = False  # q/k/v biases (Qwen2 style)
    linear_bias: bool = False  # biases on every linear layer incl. output projection and MLP
    tied_embeddings: bool = False
    learned_positions: int = 0  # learned absolute position embeddings (GPT-2: 1024)
    experts: int = 0  # routed experts; 0 = dense
    experts_per_token: int = 0
    shared_experts: int = 0
    moe_ffn_size: int | None = None  # per routed expert
    shared_expert_ffn_size: int | None = None  # per shared expert
    dense_layers: int = 0  # leading dense layers (DeepSeek first_k_dense_replace)
    moe_layer_step: int = 1  # every k-th layer is MoE (Qwen decoder_sparse_step)
    mlp_only_layers: tuple[int, ...] = ()
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None  # set: multi-head latent attention
    qk_nope_head_dim: int | None = None
    qk_rope_head_dim: int | None = None
    v_head_dim: int | None = None
    mtp_layers: int = 0
    # Additions beyond the registry's columns (defaults keep every Llama-style count unchanged):
    qk_norm: str = "none"  # "head": RMSNorm over head_dim (Qwen3, Gemma 3); "full": OLMo-2
    norms_per_layer: int = 2  # Gemma 2/3 add post-attention and post-MLP norms: 4
    shared_expert_gate: bool = False  # Qwen2-MoE gates its shared expert with a (h -> 1) linear
    attention_output_bias: bool = False  # o_proj bias without MLP biases (Llama attention_bias)

    def __post_init__(self) -> None:
        for name in ("layers", "hidden_size", "vocab_size", "attention_heads"):
            if getattr(self, name) <= 0:
                raise CalcError(f"architecture {name} must be > 0, got {getattr(self, name)!r}")
        for name, kinds in (("mlp", MLP_KINDS), ("norm", NORM_KINDS), ("qk_norm", QK_NORM_KINDS)):
            if getattr(self, name) not in kinds:
                raise CalcError(
                    f"architecture {name} must be one of {kinds}, got {getattr(self, name)!r}"
                )
        if self.experts and not 0 < self.experts_per_token <= self.experts:
            raise CalcError(
                f"experts_per_token must be in 1..{self.experts}, got {self.experts_per_token!r}"
            )

    @property
    def n_kv(self) -> int:
        """Key/value heads (grouped-query attention shares each among several query heads)."""
        return self.kv_heads or self.attention_heads

    @property
    def d_head(self) -> int:
        """Width of one attention head."""
        return self.head_dim or self.hidden_size // self.attention_heads

    @property
    def is_mla(self) -> bool:
        """Multi-head latent attention (DeepSeek-V2/V3)."""
        return self.kv_lora_rank is not None

    def is_moe_layer(self, index: int) -> bool:
        """Whether decoder layer ``index`` (0-based) has routed experts."""
        return (
            self.experts > 0
            and index >= self.dense_layers
            and index not in self.mlp_only_layers
            and (index + 1) % self.moe_layer_step == 0
        )


@dataclass(frozen=True, kw_only=True)
class ParamCount:
    """Parameter counts of an architecture and the convention they follow."""

    total: int
    active: int
    embedding: int
    non_embedding: int
    layers: int
    experts: int
    experts_per_token: int
    mtp: int
    convention: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def _norm(arch: Architecture, width: int) -> int:
    """Parameters of one normalisation over ``width`` features."""
    return {"rmsnorm": width, "layernorm": 2 * width, "none": 0}[arch.norm]


def _linear(arch: Architecture, fan_in: int, fan_out: int, *, bias: bool = False) -> int:
    """Weights (and bias, when ``bias`` or every linear has one) of a linear layer."""
    return fan_in * fan_out + (fan_out if bias or arch.linear_bias else 0)


def _mlp(arch: Architecture, width: int) -> int:
    """One MLP (or expert) of intermediate size ``width``."""
    h = arch.hidden_size
    if arch.mlp == "gated":
        return 2 * _linear(arch, h, width) + _linear(arch, width, h)
    return _linear(arch, h, width) + _linear(arch, width, h)


def _mla_attention(arch: Architecture) -> int:
    """Multi-head latent attention: low-rank q (optional) and a shared compressed kv."""
    h, heads, bias = arch.hidden_size, arch.attention_heads, arch.attention_bias
    nope, rope, v = arch.qk_nope_head_dim or 0, arch.qk_rope_head_dim or 0, arch.v_head_dim or 0
    kv_rank = arch.kv_lora_rank or 0
    if arch.q_lora_rank:
        query = (
            _linear(arch, h, arch.q_lora_rank, bias=bias)
            + arch.q_lora_rank
            + _linear(arch, arch.q_lora_rank, heads * (nope + rope))
        )
    else:
        query = _linear(arch, h, heads * (nope + rope))
    key_value = (
        _linear(arch, h, kv_rank + rope, bias=bias)
        + kv_rank
        + _linear(arch, kv_rank, heads * (nope + v))
    )
    return query + key_value + _linear(arch, heads * v, h, bias=bias or arch.attention_output_bias)


def attention_params(arch: Architecture) -> int:
    """Parameters of one attention block (projections, biases, q/k norms)."""
    if arch.is_mla:
        return _mla_attention(arch)
    h, q_width, kv_width = (
        arch.hidden_size,
        arch.attention_heads * arch.d_head,
        arch.n_kv * arch.d_head,
    )
    projections = (
        _linear(arch, h, q_width, bias=arch.attention_bias)
        + 2 * _linear(arch, h, kv_width, bias=arch.attention_bias)
        + _linear(arch, q_width, h, bias=arch.attention_output_bias)
    )
    qk_norm = {"none": 0, "head": 2 * arch.d_head, "full": q_width + kv_width}[arch.qk_norm]
    return projections + qk_norm


def routed_expert_params(arch: Architecture) -> int:
    """All routed experts of one MoE layer (the part only k of E of which run per token)."""
    return arch.experts * _mlp(arch, arch.moe_ffn_size or arch.ffn_size or 0)


def layer_params(arch: Architecture, index: int) -> int:
    """Parameters of decoder layer ``index``: attention, MLP or MoE block, norms."""
    h = arch.hidden_size
    base = attention_params(arch) + arch.norms_per_layer * _norm(arch, h)
    if not arch.is_moe_layer(index):
        return base + _mlp(arch, arch.ffn_size or 0)
    shared = arch.shared_experts * _mlp(arch, arch.shared_expert_ffn_size or arch.moe_ffn_size or 0)
    gate = h if arch.shared_expert_gate and arch.shared_experts else 0
    return base + routed_expert_params(arch) + arch.experts * h + shared + gate


def embedding_params(arch: Architecture) -> int:
    """Token (and learned position) embeddings plus the output head unless tied."""
    tokens = arch.vocab_size * arch.hidden_size
    return tokens * (1 if arch.tied_embeddings else 2) + arch.learned_positions * arch.hidden_size


def mtp_params(arch: Architecture) -> int:
    """DeepSeek-V3 multi-token-prediction modules as stored in the checkpoint.

    Each holds two input norms, a 2h -> h projection, one MoE decoder layer, an output norm, and
    copies of the embedding and output head (DeepSeek-V3, arXiv:2412.19437, Section 2.2: 14B).
    """
    h = arch.hidden_size
    module = (
        3 * _norm(arch, h) + 2 * h * h + layer_params(arch, arch.layers) + 2 * arch.vocab_size * h
    )
    return arch.mtp_layers * module


def count_params(arch: Architecture, *, include_mtp: bool = False) -> ParamCount:
    """Total and active parameters; embeddings included, MTP modules only with ``include_mtp``."""
    layer_counts = [layer_params(arch, i) for i in range(arch.layers)]
    moe_layers = sum(arch.is_moe_layer(i) for i in range(arch.layers))
    embedding = embedding_params(arch)
    total = embedding + sum(layer_counts) + _norm(arch, arch.hidden_size)
    idle_share = 1 - arch.experts_per_token / arch.experts if arch.experts else 0.0
    idle = round(moe_layers * routed_expert_params(arch) * idle_share)
    mtp = mtp_params(arch)
    mtp_idle = round(arch.mtp_layers * routed_expert_params(arch) * idle_share)
    extra, extra_idle = (mtp, mtp_idle) if include_mtp else (0, 0)
    convention = (
        "embeddings included (input, untied output head, learned positions); "
        + ("MTP modules included" if include_mtp else "MTP modules excluded")
        + ("; active = total minus idle routed experts" if arch.experts else "")
    )
    return ParamCount(
        total=total + extra,
        active=total + extra - idle - extra_idle,
        embedding=embedding,
        non_embedding=total + extra - embedding,
        layers=arch.layers,
        experts=arch.experts,
        experts_per_token=arch.experts_per_token,
        mtp=mtp,
        convention=convention,
    )


def kv_cache_bytes_per_token(arch: Architecture, *, bytes_per_value: float = 2.0) -> float:
    """KV-cache bytes one token occupies: 2 L n_kv d bytes; MLA caches L (d_c + d_rope) bytes.

    docs/SCIENCE.md section 8; MLA per DeepSeek-V2 (arXiv:2405.04434) Table 1. MTP layers excluded.
    """
    if arch.is_mla:
        per_layer = (arch.kv_lora_rank or 0) + (arch.qk_rope_head_dim or 0)
    else:
        per_layer = 2 * arch.n_kv * arch.d_head
    return float(arch.layers * per_layer * bytes_per_value)


def attention_dim(arch: Architecture) -> int:
    """d_attn of Kaplan's attention FLOPs term: query heads x query-key head width."""
    if arch.is_mla:
        return arch.attention_heads * ((arch.qk_nope_head_dim or 0) + (arch.qk_rope_head_dim or 0))
    return arch.attention_heads * arch.d_head
