"""The calculator's answers as the CLI prints them and the API returns them: one function each.

``registry calc`` and ``/api/v1/calc`` both call these, so the two speak the same names and JSON.
Saved fits come from the settings' fits file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from registry import calc
from registry.calc.laws import Law
from registry.calc.saved_fits import resolve_saved_fit
from registry.config import get_settings

Runs = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]

# Cost-form options (Sardana et al. 2024, Section 3) -> CostModel fields.
COST_OPTIONS = {
    "training_price": "training_price_per_gpu_hour",
    "training_peak_flops": "training_peak_flops_per_s",
    "training_mfu": "training_utilisation",
    "inference_price": "inference_price_per_gpu_hour",
    "inference_peak_flops": "inference_peak_flops_per_s",
    "input_mfu": "input_utilisation",
    "output_mfu": "output_utilisation",
    "input_tokens": "input_tokens_per_request",
    "output_tokens": "output_tokens_per_request",
    "requests": "requests",
}


def resolve_fit(name: str | None) -> Law:
    """A fit by name: built-in sets first, then fits saved with ``registry fit --save``."""
    return resolve_saved_fit(name, path=get_settings().fits_path)


def cost_model(
    options: Mapping[str, float | None], *, option_name: Callable[[str], str] = str
) -> calc.CostModel | None:
    """A cost model when any cost option is given; all of them are then required (named in the
    error as ``option_name`` spells them: query parameters or ``--options``)."""
    if all(value is None for value in options.values()):
        return None
    missing = [option_name(key) for key, value in options.items() if value is None]
    if missing:
        raise calc.CalcError(f"the cost form also needs {', '.join(missing)}")
    return calc.CostModel(**{COST_OPTIONS[key]: value for key, value in options.items()})  # type: ignore[arg-type]


def memory_report(
    arch: calc.Architecture,
    *,
    context_tokens: int,
    batch_size: int,
    dtype: str,
    kv_dtype: str | None,
    gpu: str | None,
) -> dict[str, Any]:
    """Weights and KV memory, FLOPs per token and, for a known GPU, the decode/prefill ceilings."""
    estimate = calc.memory_estimate(
        arch,
        context_tokens=context_tokens,
        batch_size=batch_size,
        weights_dtype=dtype,
        kv_dtype=kv_dtype,
    )
    result: dict[str, Any] = estimate.as_dict() | {
        "flops_per_token": calc.flops_per_token(arch, context_tokens=context_tokens)
    }
    if gpu:
        peaks = calc.gpu_peaks(gpu)
        result["gpu"] = gpu
        result["decode_ceiling_tokens_per_s"] = calc.decode_ceiling_tokens_per_s(
            arch,
            bandwidth_bytes_per_s=peaks["bandwidth_bytes_per_s"],
            context_tokens=context_tokens,
            batch_size=batch_size,
            weights_dtype=dtype,
            kv_dtype=kv_dtype,
        )
        result["prefill_ceiling_tokens_per_s"] = calc.prefill_ceiling_tokens_per_s(
            arch, peak_flops_per_s=peaks["peak_flops_per_s"], context_tokens=context_tokens
        )
    return result


def runs_from_frame(
    frame: pd.DataFrame,
    *,
    params_col: str,
    tokens_col: str | None,
    flops_col: str | None,
    loss_col: str,
    origin: str = "the runs",
) -> Runs:
    """(params, tokens, loss) arrays from a table; a missing column lists the table's columns."""
    if (tokens_col is None) == (flops_col is None):
        raise calc.CalcError("give exactly one of tokens_col and flops_col")
    wanted = [name for name in (params_col, tokens_col, flops_col, loss_col) if name]
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        raise calc.CalcError(
            f"{origin}: no column {', '.join(map(repr, missing))}; "
            f"columns are {', '.join(map(repr, frame.columns))}"
        )
    try:
        params = frame[params_col].to_numpy(dtype=float)
        loss = frame[loss_col].to_numpy(dtype=float)
        tokens = (
            frame[tokens_col].to_numpy(dtype=float)
            if tokens_col
            else calc.tokens_from_flops(
                params=params, flops=frame[str(flops_col)].to_numpy(dtype=float)
            )
        )
    except ValueError as exc:
        raise calc.CalcError(f"{origin}: every value must be a number ({exc})") from None
    return params, tokens, loss


def runs_from_csv(data: bytes, **columns: Any) -> Runs:
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise calc.CalcError(f"the CSV could not be read: {exc}") from None
    return runs_from_frame(frame, origin="the CSV", **columns)


def runs_from_json(data: bytes, **columns: Any) -> Runs:
    try:
        rows = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise calc.CalcError(f"the JSON could not be read: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise calc.CalcError("the JSON must be an array of objects, one per run")
    return runs_from_frame(pd.DataFrame(rows), origin="the JSON", **columns)


def fit_report(
    runs: Runs,
    *,
    exclude_top_loss: int = 0,
    bootstrap: int = 0,
    seed: int = 0,
    predict_params: float | None = None,
    predict_tokens: float | None = None,
) -> tuple[dict[str, Any], calc.FitResult]:
    """The fitted law's constants (and intervals), with an extrapolated loss when asked."""
    if (predict_params is None) != (predict_tokens is None):
        raise calc.CalcError("give both predict_params and predict_tokens")
    params, tokens, loss = runs
    result = calc.fit_law(
        params=params,
        tokens=tokens,
        loss=loss,
        exclude_top_loss=exclude_top_loss,
        bootstrap=bootstrap,
        seed=seed,
    )
    output = result.as_dict()
    if predict_params is not None and predict_tokens is not None:
        output["prediction"] = {
            "params": predict_params,
            "tokens": predict_tokens,
            "loss": float(result.law.loss(params=predict_params, tokens=predict_tokens)),
        }
    return output, result
