"""The calculator over HTTP: the CLI's commands with the same names, parameters and JSON."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from registry import calc
from registry.api.schemas import ERRORS
from registry.errors import BadInput
from registry.http.deps import SessionDep
from registry.http.responses import json_response
from registry.services.calculator import (
    COST_OPTIONS,
    cost_model,
    fit_report,
    memory_report,
    resolve_fit,
    runs_from_csv,
    runs_from_json,
)
from registry.services.knowledge import architecture_of
from registry.store.queries import models_by_slug

router = APIRouter(prefix="/api/v1/calc", tags=["calculator"], responses=ERRORS)

MAX_QUANTITY = 1e40  # far beyond any model (1e40 FLOPs is ~1e14 times Llama 3.1 405B's budget)
MAX_CONFIG_BYTES = 256 * 1024
MAX_RUNS_BYTES = 2 * 1024 * 1024


def _quantity(description: str, *, example: float | None = None) -> Any:
    """A count of parameters, tokens or FLOPs: at least one, finite, and not absurdly large."""
    return Query(
        ge=1,
        le=MAX_QUANTITY,
        allow_inf_nan=False,
        description=description,
        examples=[example] if example is not None else None,
    )


Fit = Annotated[
    str | None,
    Query(max_length=64, description="Coefficient set or saved fit (default epoch2024)."),
]


@router.get("/optimal", response_model=dict[str, Any])
def optimal(
    flops: Annotated[float, _quantity("Training budget C in FLOPs.", example=5.76e23)],
    fit: Fit = None,
) -> Response:
    """Compute-optimal parameters and tokens for a training budget (Hoffmann et al. 2022)."""
    return _finite_json(calc.compute_optimal(flops=flops, fit=resolve_fit(fit)).as_dict())


@router.get("/place", response_model=dict[str, Any])
def place(
    params: Annotated[float, _quantity("Total parameters N.", example=70e9)],
    tokens: Annotated[float, _quantity("Training tokens D.", example=1.4e12)],
    active_params: Annotated[float | None, _quantity("Active parameters per token (MoE).")] = None,
    fit: Fit = None,
    inference_tokens: Annotated[
        float | None, _quantity("Lifetime inference demand in tokens.")
    ] = None,
) -> Response:
    """Where a trained model stands: loss, optimum at its compute, overtraining, break-even."""
    placed = calc.place(
        params=params,
        tokens=tokens,
        active_params=active_params,
        fit=resolve_fit(fit),
        inference_tokens=inference_tokens,
    )
    return _finite_json(placed.as_dict())


def _finite_json(result: Any) -> Response:
    """The answer as JSON, or a 422 when the inputs drive the law out of finite numbers."""
    if not _all_finite(result):
        raise BadInput("the inputs lie outside the range where the law gives finite numbers")
    return json_response(result)


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_all_finite(v) for v in value)
    return True


class CostQuery:
    """The cost form's parameters (Sardana et al. 2024), all or none."""

    def __init__(self, request: Request) -> None:
        self.values: dict[str, float | None] = {}
        for name in COST_OPTIONS:
            raw = request.query_params.get(name)
            self.values[name] = None if raw is None else _positive(name, raw)


def _positive(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name}: expected a number; got {raw!r}") from None
    if not 0 < value <= MAX_QUANTITY:
        raise BadInput(f"{name}: expected a finite number > 0 and <= {MAX_QUANTITY:g}; got {raw!r}")
    return value


@router.get("/inference-optimal", response_model=dict[str, Any])
def inference_optimal(
    cost: Annotated[CostQuery, Depends()],
    inference_tokens: Annotated[
        float | None, _quantity("Lifetime inference demand in tokens.")
    ] = None,
    loss: Annotated[
        float | None,
        Query(gt=0, le=100, allow_inf_nan=False, description="Target loss (nats/token)."),
    ] = None,
    params: Annotated[float | None, _quantity("Reach this model's loss...")] = None,
    tokens: Annotated[float | None, _quantity("...trained on D tokens.")] = None,
    fit: Fit = None,
) -> Response:
    """The (N, D) with the least lifetime compute (or cost) at a loss (Sardana et al. 2024).

    Cost form: also give every one of training_price, training_peak_flops, training_mfu,
    inference_price, inference_peak_flops, input_mfu, output_mfu, input_tokens, output_tokens and
    requests.
    """
    model = cost_model(cost.values)
    if model is None and inference_tokens is None:
        raise BadInput("give inference_tokens, or every parameter of the cost form")
    best = calc.inference_optimal(
        inference_tokens=inference_tokens or 0.0,
        loss=loss,
        params=params,
        tokens=tokens,
        fit=resolve_fit(fit),
        cost=model,
    )
    return _finite_json(best.as_dict())


@router.get("/memory", response_model=dict[str, Any])
def memory(
    session: SessionDep,
    model: Annotated[
        str,
        Query(
            max_length=96,
            description="A model slug with a recorded architecture.",
            examples=["llama-3.1-70b"],
        ),
    ],
    context: Annotated[int, Query(ge=1, le=100_000_000, description="Tokens per sequence.")] = 4096,
    batch: Annotated[int, Query(ge=1, le=1_000_000, description="Sequences held at once.")] = 1,
    dtype: Annotated[str, Query(max_length=16, description="Weights dtype.")] = "bf16",
    kv_dtype: Annotated[str | None, Query(max_length=16, description="KV dtype.")] = None,
    gpu: Annotated[str | None, Query(max_length=32, description="GPU for the ceilings.")] = None,
) -> Response:
    """Weights and KV-cache memory, FLOPs per token and the decode/prefill ceilings of a model."""
    (found,) = models_by_slug(session, slugs=[model])
    arch = architecture_of(found.model_dump())
    if arch is None:
        raise BadInput(f"model: {model!r} has no recorded architecture; try one with open weights")
    return _finite_json(
        {"model": model}
        | memory_report(
            arch, context_tokens=context, batch_size=batch, dtype=dtype, kv_dtype=kv_dtype, gpu=gpu
        )
    )


async def _body(request: Request, *, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {int(declared):,} bytes; at most {limit:,} are read")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body exceeds {limit:,} bytes")
    return bytes(body)


class PayloadTooLarge(BadInput):
    status_code = 413


@router.post("/params", response_model=dict[str, Any])
async def params_of_config(
    request: Request,
    include_mtp: Annotated[
        bool, Query(description="Count multi-token-prediction modules.")
    ] = False,
) -> Response:
    """Total, active and embedding parameters of a Hugging Face config.json (the request body)."""
    body = await _body(request, limit=MAX_CONFIG_BYTES)
    try:
        config = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"body: not a JSON config.json ({exc})") from None
    if not isinstance(config, dict):
        raise BadInput("body: expected a JSON object (a config.json)")
    arch = calc.architecture_from_hf_config(config)
    return _finite_json(calc.count_params(arch, include_mtp=include_mtp).as_dict())


@router.post("/fit", response_model=dict[str, Any])
async def fit(
    request: Request,
    params_col: Annotated[str, Query(max_length=64)] = "params",
    loss_col: Annotated[str, Query(max_length=64)] = "loss",
    tokens_col: Annotated[str | None, Query(max_length=64)] = None,
    flops_col: Annotated[str | None, Query(max_length=64)] = None,
    exclude_top_loss: Annotated[int, Query(ge=0, le=10_000)] = 0,
    bootstrap: Annotated[int, Query(ge=0, le=200)] = 0,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
    predict_params: Annotated[float | None, _quantity("Extrapolate to N.")] = None,
    predict_tokens: Annotated[float | None, _quantity("...and D.")] = None,
) -> Response:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to runs sent as CSV or as a JSON array of objects."""
    body = await _body(request, limit=MAX_RUNS_BYTES)
    columns = {
        "params_col": params_col,
        "tokens_col": tokens_col,
        "flops_col": flops_col,
        "loss_col": loss_col,
    }
    if request.headers.get("content-type", "").startswith("application/json"):
        runs = runs_from_json(body, **columns)
    else:
        runs = runs_from_csv(body, **columns)
    report, _ = fit_report(
        runs,
        exclude_top_loss=exclude_top_loss,
        bootstrap=bootstrap,
        seed=seed,
        predict_params=predict_params,
        predict_tokens=predict_tokens,
    )
    return _finite_json(report)
