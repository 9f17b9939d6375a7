"""Perplexity and bits per byte over a text, scored with a strided sliding window.

The text is tokenized once (with the tokenizer's BOS in front when it has one, so every text
token is predicted). The first window scores its whole length; each later one advances by
``stride`` and scores only the tokens the previous one did not, with the tokens before them as
context, so every token is scored once (Hugging Face, "Perplexity of fixed-length models").
Perplexity = exp(NLL / tokens); bits per byte = NLL / ln 2 / UTF-8 bytes, which compares
across tokenizers (docs/SCIENCE.md §8).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from registry.probe.errors import ProbeError
from registry.probe.measure import input_device

DEFAULT_WINDOW = 1024


@dataclass(frozen=True, kw_only=True)
class TextScore:
    perplexity: float
    bits_per_byte: float
    tokens: int  # tokens scored
    bytes: int
    window: int
    stride: int


def window_for(config: dict[str, Any]) -> int:
    """The window: the model's context, at most ``DEFAULT_WINDOW`` tokens."""
    context = config.get("max_position_embeddings") or config.get("n_positions") or DEFAULT_WINDOW
    return min(int(context), DEFAULT_WINDOW)


def _token_ids(tokenizer: Any, text: str) -> list[int]:
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    bos = getattr(tokenizer, "bos_token_id", None)
    return [bos, *ids] if bos is not None else ids


def _window_nll(torch: ModuleType, model: Any, ids: list[int], scored: int) -> float:
    """Summed negative log-likelihood of the last ``scored`` tokens of ``ids``."""
    inputs = torch.tensor([ids], device=input_device(torch, model))
    with torch.inference_mode():
        logits = model(input_ids=inputs).logits[0, :-1].float()
    targets = inputs[0, 1:].to(logits.device)
    nll = torch.nn.functional.cross_entropy(logits[-scored:], targets[-scored:], reduction="sum")
    return float(nll)


def score_text(
    torch: ModuleType,
    model: Any,
    tokenizer: Any,
    text: str,
    *,
    window: int,
    stride: int | None = None,
) -> TextScore:
    """Perplexity and bits per byte of ``model`` on ``text``.

    Each step scores the next ``stride`` tokens with up to ``window`` tokens of input, so every
    token after the first is scored once, with at least ``window - stride`` tokens of context
    once the text is longer than a window. ``stride`` is capped at ``window - 1``.
    """
    stride = min(stride or max(1, window // 2), window - 1)
    if stride < 1:
        raise ProbeError(f"the perplexity window must be at least 2 tokens, got {window!r}")
    ids = _token_ids(tokenizer, text)
    if len(ids) < 2:
        raise ProbeError(f"the text has {len(ids)} token(s); perplexity needs at least 2")
    total_nll, scored_end = 0.0, 1
    while scored_end < len(ids):
        end = min(scored_end + stride if scored_end > 1 else window, len(ids))
        total_nll += _window_nll(torch, model, ids[max(0, end - window) : end], end - scored_end)
        scored_end = end
    n_bytes = len(text.encode("utf-8"))
    scored = len(ids) - 1
    return TextScore(
        perplexity=math.exp(total_nll / scored),
        bits_per_byte=total_nll / math.log(2) / n_bytes,
        tokens=scored,
        bytes=n_bytes,
        window=window,
        stride=stride,
    )
