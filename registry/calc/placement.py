"""Placing a model against a scaling law (docs/SCIENCE.md section 4), one model or a whole table.

From (N, D): C = 6ND, the predicted loss L(N, D), the compute-optimal (N_opt, D_opt) at the same C,
the overtrain factor (D/N)/(D_opt/N_opt), the loss given up against that optimum, the compute a
compute-optimal model needs for the same loss, and the break-even inference demand (section 5).
For MoE models N is the active parameter count; a dense law is only indicative for MoE
(Krajewski et al. 2024, arXiv:2402.07871, fit a law with granularity for that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from registry.calc.compute import training_flops
from registry.calc.errors import CalcError, require_non_negative, require_positive
from registry.calc.inference import (
    InferenceOptimal,
    break_even_inference_tokens,
    inference_optimal,
    inference_optimal_tokens_many,
    params_for_loss,
)
from registry.calc.laws import ChinchillaFit, Law, resolve_law
from registry.calc.optimal import (
    optimal_for_loss_params,
    optimal_for_loss_tokens,
    optimal_params,
    optimal_tokens,
)

Array = npt.NDArray[np.float64]
MOE_NOTE = (
    "MoE placed by its active parameters; a dense law is only indicative for MoE "
    "(Krajewski et al. 2024, arXiv:2402.07871)"
)


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where one (N, D) stands against ``fit``; loss-based fields are None for ``approach1``."""

    fit: str
    params: float
    active_params: float
    tokens: float
    flops: float
    tokens_per_param: float
    loss: float | None
    optimal: dict[str, float | None]
    overtrain_factor: float
    loss_gap: float | None
    flops_for_same_loss: float | None
    break_even_inference_tokens: float | None
    inference_optimal: dict[str, Any] | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def placement_columns(law: Law, *, params: Array, tokens: Array) -> dict[str, Array]:
    """Every placement figure for arrays of (active) ``params`` and ``tokens``, as columns.

    The single implementation behind ``place`` and ``place_many``; NaN where the law has no loss.
    """
    flops = training_flops(params, tokens)
    opt_params, opt_tokens = optimal_params(law, flops), optimal_tokens(law, flops)
    columns: dict[str, Array] = {
        "flops": flops,
        "tokens_per_param": tokens / params,
        "optimal_params": opt_params,
        "optimal_tokens": opt_tokens,
        "optimal_tokens_per_param": opt_tokens / opt_params,
        "overtrain_factor": (tokens / params) / (opt_tokens / opt_params),
    }
    nan = np.full(np.shape(flops), np.nan)
    if not isinstance(law, ChinchillaFit):
        return columns | {
            key: nan
            for key in (
                "loss",
                "optimal_loss",
                "loss_gap",
                "flops_for_same_loss",
                "break_even_inference_tokens",
            )
        }
    loss = law.loss(params=params, tokens=tokens)
    optimal_loss = law.loss(params=opt_params, tokens=opt_tokens)
    excess = loss - law.E
    same_loss_flops = training_flops(
        optimal_for_loss_params(law, excess), optimal_for_loss_tokens(law, excess)
    )
    return columns | {
        "loss": loss,
        "optimal_loss": optimal_loss,
        "loss_gap": loss - optimal_loss,
        "flops_for_same_loss": same_loss_flops,
        "break_even_inference_tokens": break_even_inference_tokens(
            law, params=params, tokens=tokens
        ),
    }


def _optional(value: Any) -> float | None:
    """A float, or None for NaN."""
    number = float(value)
    return None if math.isnan(number) else number


def place(
    *,
    params: float,
    tokens: float,
    active_params: float | None = None,
    fit: Law | str | None = None,
    inference_tokens: float | None = None,
) -> Placement:
    """Place one model of ``params`` total (``active_params`` for MoE) trained on ``tokens``."""
    law = resolve_law(fit)
    total = require_positive(params, name="params")
    active = (
        total if active_params is None else require_positive(active_params, name="active_params")
    )
    if active > total:
        raise CalcError(f"active_params {active_params!r} exceeds params {params!r}")
    cols = placement_columns(
        law, params=np.asarray(active), tokens=np.asarray(require_positive(tokens, name="tokens"))
    )
    best: InferenceOptimal | None = None
    if inference_tokens is not None:
        best = inference_optimal(
            params=active,
            tokens=float(tokens),
            fit=law,
            inference_tokens=require_non_negative(inference_tokens, name="inference_tokens"),
        )
    return Placement(
        fit=law.name,
        params=total,
        active_params=active,
        tokens=float(tokens),
        flops=float(cols["flops"]),
        tokens_per_param=float(cols["tokens_per_param"]),
        loss=_optional(cols["loss"]),
        optimal={
            "params": float(cols["optimal_params"]),
            "tokens": float(cols["optimal_tokens"]),
            "tokens_per_param": float(cols["optimal_tokens_per_param"]),
            "loss": _optional(cols["optimal_loss"]),
        },
        overtrain_factor=float(cols["overtrain_factor"]),
        loss_gap=_optional(cols["loss_gap"]),
        flops_for_same_loss=_optional(cols["flops_for_same_loss"]),
        break_even_inference_tokens=_optional(cols["break_even_inference_tokens"]),
        inference_optimal=best.as_dict() if best else None,
        note=MOE_NOTE if active < total else None,
    )


def _column(values: Any, *, name: str, length: int | None = None) -> Array:
    """A validated float array (broadcast to ``length`` when a scalar is given)."""
    array = np.asarray(values, dtype=np.float64)
    if length is not None and array.ndim == 0:
        array = np.full(length, float(array))
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        raise CalcError(
            f"{name} must be finite numbers > 0; row {int(np.argmax(bad))} "
            f"is {float(array.flat[int(np.argmax(bad))])!r}"
        )
    return array


def place_many(
    params: Any,
    tokens: Any,
    *,
    active_params: Any = None,
    fit: Law | str | None = None,
    inference_tokens: Any = None,
) -> pd.DataFrame:
    """Vectorised ``place`` over a table: one row per model, columns as ``placement_columns``.

    ``params``/``tokens`` are array-likes (a pandas Series keeps its index); ``active_params`` may
    hold NaN for dense rows. With ``inference_tokens`` (scalar or per row), adds the
    inference-optimal ``inference_optimal_params`` and ``inference_optimal_tokens``.
    """
    law = resolve_law(fit)
    index = params.index if isinstance(params, pd.Series) else None
    total = _column(params, name="params")
    active = (
        total
        if active_params is None
        else np.where(
            np.isnan(np.asarray(active_params, dtype=np.float64)),
            total,
            np.asarray(active_params, dtype=np.float64),
        )
    )
    active = _column(active, name="active_params", length=total.size)
    cols = placement_columns(
        law, params=active, tokens=_column(tokens, name="tokens", length=total.size)
    )
    frame = pd.DataFrame(
        {"fit": law.name, "params": total, "active_params": active, **cols}, index=index
    )
    if inference_tokens is not None and isinstance(law, ChinchillaFit):
        demand = np.broadcast_to(np.asarray(inference_tokens, dtype=np.float64), total.shape)
        excess = cols["loss"] - law.E
        best_tokens = inference_optimal_tokens_many(
            law, excess_loss=excess, inference_tokens=demand
        )
        frame["inference_optimal_tokens"] = best_tokens
        frame["inference_optimal_params"] = params_for_loss(
            law, excess_loss=excess, tokens=best_tokens
        )
    return frame
