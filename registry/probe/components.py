"""Which part of a transformer a tensor belongs to, from its name (Hugging Face or GGUF).

The split reported by ``registry probe --count-only``: embeddings, attention, dense MLP, routed
experts, shared experts, router, norms, output head, and anything else. The parts add up to the
total. Query/key norms and the latent-attention norms count as attention (as in
``registry.calc.attention_params``); a shared expert's gate counts with the shared experts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COMPONENTS = (
    "embeddings",
    "attention",
    "mlp",
    "experts",
    "shared_experts",
    "router",
    "norms",
    "head",
    "other",
)
EMBEDDINGS = re.compile(
    r"(^|\.)(embed_tokens|wte|wpe|tok_embeddings|word_embeddings|embed_positions)\.weight$"
    r"|^(token_embd|position_embd|token_types)\.weight$"
)
HEAD = re.compile(r"(^|\.)(lm_head|embed_out)\.(weight|bias)$|^output\.(weight|bias)$")
SHARED = re.compile(r"shared_expert|_shexp\b|_shexp\.")
ROUTER = re.compile(
    r"(\.mlp|block_sparse_moe|\.feed_forward)\.gate\.(weight|bias)$|\.router\.|\.ffn_gate_inp\."
)
EXPERTS = re.compile(r"\.experts\.|_exps\.")
ATTENTION_NORMS = re.compile(
    r"(q_norm|k_norm|q_layernorm|k_layernorm|q_a_layernorm|kv_a_layernorm|attn_q_norm|"
    r"attn_k_norm|attn_q_a_norm|attn_kv_a_norm)\.(weight|bias)$"
)
NORM = re.compile(r"norm|(^|\.)ln_\w*\.|(^|\.)ln_f\.")
ATTENTION = re.compile(r"self_attn\.|\.attn\.|\.attention\.|\.attn_|^attn_")
MLP = re.compile(r"\.mlp\.|\.feed_forward\.|\.ffn_|block_sparse_moe\.")


def component_of(name: str) -> str:
    """The component ``name`` belongs to (one of ``COMPONENTS``)."""
    if EMBEDDINGS.search(name):
        return "embeddings"
    if HEAD.search(name):
        return "head"
    if SHARED.search(name):
        return "shared_experts"
    if ROUTER.search(name):
        return "router"
    if EXPERTS.search(name):
        return "experts"
    if ATTENTION_NORMS.search(name):
        return "attention"
    if NORM.search(name):
        return "norms"
    if ATTENTION.search(name):
        return "attention"
    if MLP.search(name):
        return "mlp"
    return "other"


def split(tensors: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Parameters per component of ``(name, elements)`` pairs; every component is present."""
    parts = dict.fromkeys(COMPONENTS, 0)
    for name, count in tensors:
        parts[component_of(name)] += count
    return parts
