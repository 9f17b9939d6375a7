"""The calculator's answers: one function per tool, called by the API, the pages and the CLI.

Each tool takes its input model (``registry.services.calc_inputs``) and returns the JSON-ready
answer that ``/api/v1/calc/<tool>`` sends, ``/calculator/<tool>`` shows and ``registry calc <tool>
--json`` prints. ``resolve_fit`` is the one lookup of a fit by name (built-in sets, then fits saved
with ``registry fit --save`` in the settings' fits file). Formulas: docs/CALCULATOR.md.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from registry import calc
from registry.calc.laws import Law
from registry.calc.saved_fits import load_saved_fits
from registry.config import get_settings
from registry.services.calc_inputs import (
    FitInput,
    InferenceOptimalInput,
    MemoryInput,
    OptimalInput,
    ParamsInput,
    PlaceInput,
)

Runs = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def resolve_fit(name: str | None) -> Law:
    """A fit by name: built-in sets first, then fits saved with ``registry fit --save``."""
    if name is None or name in calc.BUILTIN_FITS:
        return calc.get_fit(name)
    return calc.get_fit(name, saved=load_saved_fits(get_settings().fits_path))


def fit_choices() -> dict[str, str]:
    """Every fit a user can pick, by name, with where its coefficients come from."""
    saved = load_saved_fits(get_settings().fits_path)
    return {name: law.source for name, law in (calc.BUILTIN_FITS | saved).items()}


def json_ready(value: Any) -> Any:
    """A result as plain JSON: numpy scalars become numbers; a non-finite number is refused.

    A law driven outside the range where it gives finite numbers (a loss below its floor, an
    overflowing budget) is the caller's input at fault, so it is a ``CalcError`` (422), not NaN.
    """
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise calc.CalcError("the inputs lie outside the range where the law gives finite numbers")
    return value


def optimal(inputs: OptimalInput) -> dict[str, Any]:
    """The compute-optimal model for a training budget (Hoffmann et al. 2022)."""
    point = calc.compute_optimal(flops=inputs.flops, fit=resolve_fit(inputs.fit))
    return json_ready(point.as_dict())


def place(inputs: PlaceInput) -> dict[str, Any]:
    """Where a trained model stands: loss, optimum at its compute, overtraining, break-even."""
    placed = calc.place(
        params=inputs.params,
        tokens=inputs.tokens,
        active_params=inputs.active_params,
        fit=resolve_fit(inputs.fit),
        inference_tokens=inputs.inference_tokens,
    )
    return json_ready(placed.as_dict())


def inference_optimal(inputs: InferenceOptimalInput) -> dict[str, Any]:
    """The (N, D) with the least lifetime compute, or cost, at a loss (Sardana et al. 2024)."""
    cost = inputs.cost_values()
    best = calc.inference_optimal(
        inference_tokens=inputs.inference_tokens or 0.0,
        loss=inputs.loss,
        params=inputs.params,
        tokens=inputs.tokens,
        fit=resolve_fit(inputs.fit),
        cost=None if cost is None else calc.CostModel(**cost),
    )
    return json_ready(best.as_dict())


def memory(inputs: MemoryInput, arch: calc.Architecture) -> dict[str, Any]:
    """Weights and KV memory, FLOPs per token and, for a known GPU, the decode/prefill ceilings."""
    report = memory_report(
        arch,
        context_tokens=inputs.context,
        batch_size=inputs.batch,
        dtype=inputs.dtype,
        kv_dtype=inputs.kv_dtype,
        gpu=inputs.gpu,
    )
    return json_ready(({"model": inputs.model} if inputs.model else {}) | report)


def params(inputs: ParamsInput, config: Any) -> dict[str, Any]:
    """Total, active and embedding parameters of a config.json mapping."""
    if not isinstance(config, Mapping):
        raise calc.ConfigError("expected a JSON object (a config.json)")
    arch = calc.architecture_from_hf_config(config)
    return json_ready(calc.count_params(arch, include_mtp=inputs.include_mtp).as_dict())


def fit(inputs: FitInput, runs: Runs) -> tuple[dict[str, Any], calc.FitResult]:
    """The fitted law's constants (and intervals), with an extrapolated loss when asked."""
    params_, tokens, loss = runs
    result = calc.fit_law(
        params=params_,
        tokens=tokens,
        loss=loss,
        exclude_top_loss=inputs.exclude_top_loss,
        bootstrap=inputs.bootstrap,
        seed=inputs.seed,
    )
    output = result.as_dict()
    if inputs.predict_params is not None and inputs.predict_tokens is not None:
        predicted = result.law.loss(params=inputs.predict_params, tokens=inputs.predict_tokens)
        output["prediction"] = {
            "params": inputs.predict_params,
            "tokens": inputs.predict_tokens,
            "loss": float(predicted),
        }
    return json_ready(output), result


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
