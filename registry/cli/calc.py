"""``registry calc ...`` and ``registry fit``: thin commands over ``registry.calc``.

Every command prints JSON with ``--json`` (machine-readable, no markup) and a readable table
otherwise. Bad input prints one line to stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from registry import calc
from registry.calc.saved_fits import save_fit
from registry.config import get_settings
from registry.services.calculator import (
    Runs,
    cost_model,
    fit_report,
    memory_report,
    resolve_fit,
    runs_from_frame,
)

P = ParamSpec("P")
R = TypeVar("R")

calc_app = typer.Typer(
    name="calc", help="Scaling-law calculator: where a model stands.", no_args_is_help=True
)

FitOption = Annotated[
    str | None,
    typer.Option(
        "--fit",
        help="Coefficient set (default epoch2024) or a fit saved with `registry fit --save`.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _fail(message: str) -> typer.Exit:
    """Print ``message`` as one line on stderr; the caller raises the returned Exit(2)."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code=2)


def _handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn calculator and file errors into a one-line message and exit status 2."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (calc.CalcError, OSError, json.JSONDecodeError) as error:
            raise _fail(str(error)) from None

    return wrapper


def _plain(value: Any) -> Any:
    """JSON-ready copy of ``value``: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _format(value: Any) -> str:
    """A number as people read it (3 significant figures for large and small values)."""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e5 or 0 < abs(value) < 1e-3 else f"{value:.4f}"
    return "-" if value is None else str(value)


def _emit(data: Mapping[str, Any], *, as_json: bool, title: str) -> None:
    """Print ``data`` as JSON or as a two-column table (nested mappings flattened with dots)."""
    clean = _plain(data)
    if as_json:
        print(json.dumps(clean, indent=2))
        return
    table = Table(title=title, show_header=False)
    for key, value in _flatten(clean):
        table.add_row(key, _format(value))
    Console().print(table)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) pairs of a nested mapping."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


@calc_app.command("optimal")
@_handles_errors
def optimal(
    flops: Annotated[float, typer.Option("--flops", help="Training budget C in FLOPs.")],
    fit: FitOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compute-optimal params and tokens for a training budget (Hoffmann et al. 2022)."""
    point = calc.compute_optimal(flops=flops, fit=resolve_fit(fit))
    _emit(point.as_dict(), as_json=as_json, title=f"Compute-optimal at {flops:.3g} FLOPs")


@calc_app.command("place")
@_handles_errors
def place(
    params: Annotated[float, typer.Option("--params", help="Total parameters N.")],
    tokens: Annotated[float, typer.Option("--tokens", help="Training tokens D.")],
    active_params: Annotated[
        float | None, typer.Option("--active-params", help="Active parameters per token (MoE).")
    ] = None,
    fit: FitOption = None,
    inference_tokens: Annotated[
        float | None,
        typer.Option("--inference-tokens", help="Lifetime inference demand in tokens."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Where a trained model stands: loss, optimum at its compute, overtraining, break-even."""
    placed = calc.place(
        params=params,
        tokens=tokens,
        active_params=active_params,
        fit=resolve_fit(fit),
        inference_tokens=inference_tokens,
    )
    _emit(placed.as_dict(), as_json=as_json, title=f"{params:.3g} params on {tokens:.3g} tokens")


CostFloat = Annotated[float | None, typer.Option(rich_help_panel="Cost form (Sardana et al. 2024)")]


@calc_app.command("inference-optimal")
@_handles_errors
def inference_optimal(
    inference_tokens: Annotated[
        float | None,
        typer.Option("--inference-tokens", help="Lifetime inference demand in tokens."),
    ] = None,
    loss: Annotated[float | None, typer.Option("--loss", help="Target loss (nats/token).")] = None,
    params: Annotated[
        float | None, typer.Option("--params", help="Reach this model's loss")
    ] = None,
    tokens: Annotated[
        float | None, typer.Option("--tokens", help="... trained on D tokens.")
    ] = None,
    fit: FitOption = None,
    training_price: CostFloat = None,
    training_peak_flops: CostFloat = None,
    training_mfu: CostFloat = None,
    inference_price: CostFloat = None,
    inference_peak_flops: CostFloat = None,
    input_mfu: CostFloat = None,
    output_mfu: CostFloat = None,
    input_tokens: CostFloat = None,
    output_tokens: CostFloat = None,
    requests: CostFloat = None,
    as_json: JsonOption = False,
) -> None:
    """The (N, D) with the least lifetime compute at a loss (Sardana et al. 2024).

    Cost form: $ per GPU-hour, peak FLOP/s and MFU (0-1) for training and inference (input and
    output tokens apart), tokens per request and lifetime requests; it minimises dollars.
    """
    cost = cost_model(option_name=lambda key: "--" + key.replace("_", "-"), options={
        "training_price": training_price, "training_peak_flops": training_peak_flops,
        "training_mfu": training_mfu, "inference_price": inference_price,
        "inference_peak_flops": inference_peak_flops, "input_mfu": input_mfu,
        "output_mfu": output_mfu, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "requests": requests,
    })  # fmt: skip
    if cost is None and inference_tokens is None:
        raise calc.CalcError("give --inference-tokens, or the cost form's options")
    best = calc.inference_optimal(
        inference_tokens=inference_tokens or 0.0, loss=loss, params=params, tokens=tokens,
        fit=resolve_fit(fit), cost=cost,
    )  # fmt: skip
    _emit(best.as_dict(), as_json=as_json, title="Inference-optimal model")


def _read_config(path: Path) -> calc.Architecture:
    """The architecture of a config.json file."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise calc.ConfigError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    try:
        return calc.architecture_from_hf_config(config)
    except calc.CalcError as error:
        raise calc.ConfigError(f"{path}: {error}") from None


ConfigArgument = Annotated[Path, typer.Argument(help="A Hugging Face config.json.")]


@calc_app.command("params")
@_handles_errors
def params_command(
    config: ConfigArgument,
    include_mtp: Annotated[
        bool, typer.Option("--include-mtp", help="Count multi-token-prediction modules.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Total, active and embedding parameters of a config.json."""
    counted = calc.count_params(_read_config(config), include_mtp=include_mtp)
    _emit(counted.as_dict(), as_json=as_json, title=f"Parameters of {config}")


@calc_app.command("memory")
@_handles_errors
def memory(
    config: ConfigArgument,
    context_tokens: Annotated[int, typer.Option("--context", help="Tokens per sequence.")] = 4096,
    batch_size: Annotated[int, typer.Option("--batch", help="Sequences held at once.")] = 1,
    dtype: Annotated[
        str, typer.Option("--dtype", help="Weights dtype (bf16, fp8, int4...).")
    ] = "bf16",
    kv_dtype: Annotated[
        str | None, typer.Option("--kv-dtype", help="KV dtype (default: --dtype).")
    ] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="h100, h200 or a100 peaks.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Weights and KV-cache memory, FLOPs per token and the decode/prefill ceilings."""
    result = memory_report(
        _read_config(config),
        context_tokens=context_tokens,
        batch_size=batch_size,
        dtype=dtype,
        kv_dtype=kv_dtype,
        gpu=gpu,
    )
    _emit(result, as_json=as_json, title=f"Memory of {config}")


def _read_runs(
    path: Path, *, params_col: str, tokens_col: str | None, flops_col: str | None, loss_col: str
) -> Runs:
    """(params, tokens, loss) arrays of a runs CSV; a missing column lists the file's columns."""
    if (tokens_col is None) == (flops_col is None):
        raise calc.CalcError("give exactly one of --tokens-col and --flops-col")
    return runs_from_frame(
        pd.read_csv(path),
        params_col=params_col,
        tokens_col=tokens_col,
        flops_col=flops_col,
        loss_col=loss_col,
        origin=str(path),
    )


@_handles_errors
def fit(
    runs: Annotated[Path, typer.Argument(help="CSV of training runs.")],
    params_col: Annotated[str, typer.Option("--params-col", help="Column of parameters N.")],
    loss_col: Annotated[str, typer.Option("--loss-col", help="Column of final loss.")],
    tokens_col: Annotated[
        str | None, typer.Option("--tokens-col", help="Column of tokens D.")
    ] = None,
    flops_col: Annotated[
        str | None, typer.Option("--flops-col", help="Column of training FLOPs (D = C/6N).")
    ] = None,
    exclude_top_loss: Annotated[
        int, typer.Option("--exclude-top-loss", help="Drop the K highest-loss runs first.")
    ] = 0,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap random seed.")] = 0,
    save: Annotated[str | None, typer.Option("--save", help="Save under this --fit name.")] = None,
    predict_params: Annotated[
        float | None,
        typer.Option("--predict-params", help="Extrapolate the loss of a run of N params ..."),
    ] = None,
    predict_tokens: Annotated[
        float | None, typer.Option("--predict-tokens", help="... trained on D tokens.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to runs (Hoffmann et al. 2022; Epoch 2024)."""
    if (predict_params is None) != (predict_tokens is None):
        raise calc.CalcError("give both --predict-params and --predict-tokens")
    runs_data = _read_runs(
        runs, params_col=params_col, tokens_col=tokens_col, flops_col=flops_col, loss_col=loss_col
    )
    output, result = fit_report(
        runs_data,
        exclude_top_loss=exclude_top_loss,
        bootstrap=bootstrap,
        seed=seed,
        predict_params=predict_params,
        predict_tokens=predict_tokens,
    )
    if save:
        law = result.as_fit(save, source=f"fitted to {runs}")
        output["saved_to"] = str(
            save_fit(get_settings().fits_path, law, {"runs_used": result.runs_used})
        )
    _emit(output, as_json=as_json, title=f"Fit to {runs}")
