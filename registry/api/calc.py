"""The calculator over HTTP: each tool's input model as its query string, one service call each.

Names, limits and answers are those of ``registry calc`` and ``/calculator`` (the input models in
``registry.services.calc_inputs``, the answers in ``registry.services.calculator``). Bodies are
bounded before they are read by ``registry.http.security.BodyLimit`` (``BODY_LIMITS`` below).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from registry.api.schemas import ERRORS
from registry.errors import BadInput
from registry.http.deps import SessionDep
from registry.http.responses import json_response
from registry.services import calculator
from registry.services.calc_inputs import (
    FitInput,
    InferenceOptimalInput,
    MemoryInput,
    OptimalInput,
    ParamsInput,
    PlaceInput,
)
from registry.services.knowledge import model_architecture

router = APIRouter(prefix="/api/v1/calc", tags=["calculator"], responses=ERRORS)

MAX_CONFIG_BYTES = 256 * 1024
MAX_RUNS_BYTES = 2 * 1024 * 1024
BODY_LIMITS = {f"{router.prefix}/params": MAX_CONFIG_BYTES, f"{router.prefix}/fit": MAX_RUNS_BYTES}


@router.get("/optimal", response_model=dict[str, Any])
def optimal(inputs: Annotated[OptimalInput, Query()]) -> Response:
    """Compute-optimal parameters and tokens for a training budget (Hoffmann et al. 2022)."""
    return json_response(calculator.optimal(inputs))


@router.get("/place", response_model=dict[str, Any])
def place(inputs: Annotated[PlaceInput, Query()]) -> Response:
    """Where a trained model stands: loss, optimum at its compute, overtraining, break-even."""
    return json_response(calculator.place(inputs))


@router.get("/inference-optimal", response_model=dict[str, Any])
def inference_optimal(inputs: Annotated[InferenceOptimalInput, Query()]) -> Response:
    """The (N, D) with the least lifetime compute (or cost) at a loss (Sardana et al. 2024).

    Give a target `loss`, or `params` and `tokens` of a model whose loss to reach, and either
    `inference_tokens` or every field of the cost form (prices, peak FLOP/s, MFU, tokens per
    request and requests), which minimises dollars instead of FLOPs.
    """
    return json_response(calculator.inference_optimal(inputs))


@router.get("/memory", response_model=dict[str, Any])
def memory(session: SessionDep, inputs: Annotated[MemoryInput, Query()]) -> Response:
    """Weights and KV-cache memory, FLOPs per token and the decode/prefill ceilings of a model."""
    if inputs.model is None:
        raise BadInput("model: give the slug of a registry model with a recorded architecture")
    arch = model_architecture(session, slug=inputs.model)
    return json_response(calculator.memory(inputs, arch))


@router.post("/params", response_model=dict[str, Any])
async def params_of_config(request: Request, inputs: Annotated[ParamsInput, Query()]) -> Response:
    """Total, active and embedding parameters of a Hugging Face config.json (the request body)."""
    try:
        config = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"body: not a JSON config.json ({exc})") from None
    return json_response(calculator.params(inputs, config))


@router.post("/fit", response_model=dict[str, Any])
async def fit(request: Request, inputs: Annotated[FitInput, Query()]) -> Response:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to runs sent as CSV or as a JSON array of objects."""
    body = await request.body()
    json_body = request.headers.get("content-type", "").startswith("application/json")
    read = calculator.runs_from_json if json_body else calculator.runs_from_csv
    report, _ = calculator.fit(inputs, read(body, **inputs.columns()))
    return json_response(report)
