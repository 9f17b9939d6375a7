"""``/fit``: upload training runs as CSV, see the fitted law and its extrapolation.

The upload is a multipart POST read with the standard library's MIME parser (the form needs no
extra dependency), bounded in size; the runs are read and fitted by
``registry.services.calculator``, the functions behind ``POST /api/v1/calc/fit``, so the page and
the API give the same fit."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import numpy as np
import pandas as pd  # the sample runs
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from registry import calc
from registry.errors import BadInput, validation_messages
from registry.services import calculator
from registry.services.calc_inputs import MAX_BOOTSTRAP, MAX_RUNS, FitInput
from registry.web.charts import render_chart
from registry.web.charts.fit import fit_chart
from registry.web.rendering import page

router = APIRouter(include_in_schema=False)
MAX_UPLOAD_BYTES = 2_000_000  # enforced before reading by BodyLimit (registry.web.BODY_LIMITS)
# Budgets at which the fitted law's compute-optimal allocation is tabulated (FLOPs).
EXTRAPOLATION_FLOPS = (1e21, 1e23, 1e25, 1e27)
API_TWIN = "/api/v1/calc/fit"


def multipart_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name (files as their bytes)."""
    if not content_type.startswith("multipart/form-data"):
        raise BadInput(f"expected a multipart/form-data upload; got {content_type or 'none'!r}")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def fitted(data: bytes, form: FitInput) -> dict[str, Any]:
    """The fit (``calculator.fit``, as the API answers), its chart and extrapolation."""
    if len(data.splitlines()) > MAX_RUNS + 1:
        raise BadInput(f"runs: at most {MAX_RUNS:,} rows")
    try:
        params, tokens, loss = calculator.runs_from_csv(data, **form.columns())
        report, result = calculator.fit(form, (params, tokens, loss))
    except calc.CalcError as error:
        raise BadInput(f"runs: {error}") from None
    law = result.law
    prediction = report.get("prediction")
    runs = [
        {"params": float(p), "tokens": float(t), "loss": float(lo)}
        for p, t, lo in zip(params, tokens, loss, strict=True)
    ]
    key = (tuple(law.as_dict().items()), tuple(map(tuple, np.column_stack([params, tokens, loss]))))
    chart = render_chart(
        (*key, repr(prediction)), lambda: fit_chart(law, runs, prediction), name="fit"
    )
    budgets = [calc.compute_optimal(flops=c, fit=law).as_dict() for c in EXTRAPOLATION_FLOPS]
    return {"result": report, "prediction": prediction, "chart": chart,
            "extrapolation": budgets, "runs": len(runs)}  # fmt: skip


@router.get("/fit", response_class=HTMLResponse)
def fit_form(request: Request) -> HTMLResponse:
    """The upload form."""
    context = {
        "values": FitInput().model_dump(),
        "errors": [],
        "fit": None,
        "max_bootstrap": MAX_BOOTSTRAP,
        "api_twin": API_TWIN,
    }
    return page(request, "fit.html", lambda: context, json_url=None)


@router.post("/fit", response_class=HTMLResponse)
async def fit_upload(request: Request) -> Response:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta to the uploaded runs and show it."""
    body = await request.body()
    errors: list[str] = []
    context: dict[str, Any] = {
        "values": FitInput().model_dump(),
        "errors": errors,
        "fit": None,
        "max_bootstrap": MAX_BOOTSTRAP,
        "api_twin": API_TWIN,
    }
    try:
        fields = multipart_fields(request.headers.get("content-type", ""), body)
        text = {k: v.decode("utf-8", "replace").strip() for k, v in fields.items() if k != "runs"}
        form = FitInput(**{k: v for k, v in text.items() if v and k in FitInput.model_fields})
        context["values"] = form.model_dump()
        if not fields.get("runs"):
            raise BadInput("runs: choose a CSV file of training runs")
        context["fit"] = await run_in_threadpool(fitted, fields["runs"], form)
    except ValidationError as error:
        errors.extend(validation_messages(error))
    except BadInput as error:
        errors.append(error.message)
    status = 422 if errors else 200
    return page(request, "fit.html", lambda: context, json_url=None, status_code=status)


@router.get("/fit/sample.csv")
def sample_runs() -> Response:
    """Synthetic runs drawn from the epoch2024 law with 1% noise: a file to try the form with."""
    law = calculator.resolve_fit("epoch2024")
    rng = np.random.default_rng(2024)
    params = np.repeat([2e7, 6e7, 2e8, 6e8, 2e9], 5)
    tokens = np.tile([4e8, 1.2e9, 4e9, 1.2e10, 4e10], 5)
    loss = np.asarray(law.loss(params=params, tokens=tokens)) * np.exp(rng.normal(0, 0.01, 25))
    frame = pd.DataFrame({"params": params, "tokens": tokens, "loss": loss.round(4)})
    return Response(frame.to_csv(index=False), media_type="text/csv")
