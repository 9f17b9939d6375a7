"""The calculator's answers as people read them: a label and a value with its unit, per field.

The JSON keeps machine names and plain numbers; the page and the CLI's table show the same answer
through ``result_rows`` ("Compute-optimal parameters | 73.0B", "Training compute | 5.88 × 10^23
FLOPs", "KV cache | 0.54 GB").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from registry.numbers import humanize_count


def _flops(value: float) -> str:
    exponent = math.floor(math.log10(abs(value))) if value else 0
    return f"{value / 10**exponent:.3g} × 10^{exponent} FLOPs"


def _bytes(value: float) -> str:
    return f"{value / 1e9:,.3g} GB" if abs(value) >= 1e8 else f"{value / 1e6:,.3g} MB"


def _plain(value: float) -> str:
    return f"{value:,.4g}"


UNITS: dict[str, tuple[str, Callable[[float], str]]] = {
    "params": ("parameters", humanize_count),
    "active_params": ("active parameters", humanize_count),
    "tokens": ("tokens", humanize_count),
    "inference_tokens": ("lifetime inference tokens", humanize_count),
    "effective_inference_tokens": ("effective inference tokens", humanize_count),
    "break_even_inference_tokens": ("break-even inference demand (tokens)", humanize_count),
    "flops": ("training compute", _flops),
    "flops_train": ("training compute", _flops),
    "flops_inference": ("inference compute", _flops),
    "flops_total": ("lifetime compute", _flops),
    "flops_for_same_loss": ("compute-optimal compute for the same loss", _flops),
    "flops_per_token": ("compute per token", _flops),
    "tokens_per_param": ("tokens per parameter", _plain),
    "loss": ("loss (nats per token)", lambda v: f"{v:.4f}"),
    "loss_gap": ("loss above the compute-optimal model", lambda v: f"{v:.4f}"),
    "overtrain_factor": ("× the compute-optimal tokens per parameter", lambda v: f"{v:,.3g}×"),
    "params_ratio": ("parameters vs compute-optimal", lambda v: f"{v:.3g}×"),
    "tokens_ratio": ("tokens vs compute-optimal", lambda v: f"{v:.3g}×"),
    "flops_ratio": ("lifetime compute vs compute-optimal", lambda v: f"{v:.3g}×"),
    "weights_bytes": ("weights", _bytes),
    "kv_cache_bytes": ("KV cache", _bytes),
    "total_bytes": ("weights and KV cache", _bytes),
    "kv_cache_bytes_per_token": ("KV cache per token", lambda v: f"{v / 1024:,.4g} KiB"),
    "context_tokens": ("context (tokens)", _plain),
    "batch_size": ("sequences held at once", _plain),
    "decode_ceiling_tokens_per_s": ("decode ceiling (tokens/s)", _plain),
    "prefill_ceiling_tokens_per_s": ("prefill ceiling (tokens/s)", _plain),
}
SECTIONS = {
    "optimal": "compute-optimal",
    "inference_optimal": "inference-optimal",
    "vs_chinchilla": "compute-optimal model of equal loss",
    "prediction": "prediction",
    "cost": "cost",
}


def display_value(key: str, value: Any) -> str:
    """One value with its unit; text, flags and missing values as they are."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    _, show = UNITS.get(key, (key, _plain))
    return show(float(value))


def display_label(key: str, section: str | None = None) -> str:
    """The field's name as a phrase, prefixed by its section ("compute-optimal: parameters")."""
    label = UNITS.get(key, (key.replace("_", " "), _plain))[0]
    return f"{SECTIONS.get(section, section.replace('_', ' '))}: {label}" if section else label


def result_rows(data: Mapping[str, Any], section: str | None = None) -> list[tuple[str, str]]:
    """(label, value with unit) for every field of a nested answer, in its order."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            rows += result_rows(value, key if section is None else f"{section}.{key}")
        else:
            rows.append((display_label(key, section), display_value(key, value)))
    return rows
