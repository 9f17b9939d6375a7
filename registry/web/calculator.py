"""``/calculator``: forms over the scaling-law calculator, answered by ``registry.calc`` directly.

Each tool is a GET form whose query string is the one its JSON twin, ``/api/v1/calc/<tool>``,
takes (the CLI's option names with underscores), so a result page links the same answer as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from registry import calc
from registry.calc import BUILTIN_FITS
from registry.errors import NotFound, RegistryError
from registry.http.deps import SessionDep
from registry.services.calculator import memory_report
from registry.services.knowledge import architecture_of
from registry.store import queries
from registry.web import datasets
from registry.web.charts import render_chart
from registry.web.charts.placement import placement_chart
from registry.web.forms import given, messages
from registry.web.rendering import error_page, page, with_query

router = APIRouter(include_in_schema=False)
Positive = Annotated[float, Field(gt=0, le=1e40)]
FitName = Annotated[str | None, Field(max_length=64)]


class Optimal(BaseModel):
    """``registry calc optimal``: the compute-optimal model for a budget."""

    model_config = ConfigDict(extra="ignore")
    flops: Positive
    fit: FitName = None


class Place(BaseModel):
    """``registry calc place``: where a trained (N, D) stands."""

    model_config = ConfigDict(extra="ignore")
    params: Positive
    tokens: Positive
    active_params: Positive | None = None
    fit: FitName = None
    inference_tokens: Annotated[float, Field(ge=0, le=1e40)] | None = None


class InferenceOptimalInput(BaseModel):
    """``registry calc inference-optimal``: least lifetime compute at a loss or a model's loss."""

    model_config = ConfigDict(extra="ignore")
    inference_tokens: Annotated[float, Field(ge=0, le=1e40)]
    loss: Annotated[float, Field(gt=0, le=100)] | None = None
    params: Positive | None = None
    tokens: Positive | None = None
    fit: FitName = None


class Memory(BaseModel):
    """``registry calc memory`` for a registry model whose architecture is recorded."""

    model_config = ConfigDict(extra="ignore")
    model: Annotated[str, Field(max_length=96)]
    context: Annotated[int, Field(ge=1, le=10**8)] = 4096
    batch: Annotated[int, Field(ge=1, le=10**5)] = 1
    dtype: Annotated[str, Field(max_length=16)] = "bf16"
    kv_dtype: Annotated[str | None, Field(max_length=16)] = None
    gpu: Annotated[str | None, Field(max_length=16)] = None


def _optimal(_: Session, form: Optimal) -> dict[str, Any]:
    return {"result": calc.compute_optimal(flops=form.flops, fit=form.fit).as_dict()}


def _place(_: Session, form: Place) -> dict[str, Any]:
    placed = calc.place(
        params=form.params,
        tokens=form.tokens,
        active_params=form.active_params,
        fit=form.fit,
        inference_tokens=form.inference_tokens,
    ).as_dict()
    law = calc.get_fit(form.fit)
    model = {
        "name": "your model",
        "family": "—",
        "access": "unreleased",
        "architecture": "moe" if placed["note"] else "dense",
    }
    key = (form.params, form.tokens, form.active_params, law.name)
    chart = render_chart(key, lambda: placement_chart(law, model, placed), name="calc-place")
    return {"result": placed, "chart": chart}


def _inference_optimal(_: Session, form: InferenceOptimalInput) -> dict[str, Any]:
    best = calc.inference_optimal(
        inference_tokens=form.inference_tokens,
        loss=form.loss,
        params=form.params,
        tokens=form.tokens,
        fit=form.fit,
    )
    return {"result": best.as_dict()}


def _memory(session: Session, form: Memory) -> dict[str, Any]:
    (model,) = queries.models_by_slug(session, slugs=[form.model])
    arch = architecture_of(model.model_dump())
    if arch is None:
        raise NotFound(f"model: {form.model!r} has no recorded architecture; pick one listed")
    report = memory_report(arch, context_tokens=form.context, batch_size=form.batch,
                           dtype=form.dtype, kv_dtype=form.kv_dtype, gpu=form.gpu)  # fmt: skip
    result = {"model": form.model} | report
    return {"result": result}


Tool = tuple[type[BaseModel], Callable[[Session, Any], dict[str, Any]], str]
TOOLS: dict[str, Tool] = {
    "optimal": (Optimal, _optimal, "Compute-optimal model for a training budget"),
    "place": (Place, _place, "Where a trained model stands"),
    "inference-optimal": (
        InferenceOptimalInput,
        _inference_optimal,
        "Inference-optimal model for a lifetime demand",
    ),
    "memory": (Memory, _memory, "Memory and speed limits of a registry model"),
}


def rows(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) pairs of a nested result, in order."""
    flat: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat += rows(value, f"{prefix}{key}.")
        else:
            flat.append((f"{prefix}{key}", value))
    return flat


def _memory_models(session: Session) -> list[tuple[str, str]]:
    revision = queries.data_revision(session)
    models = datasets.per_revision(revision, ("models",), lambda: datasets.all_models(session))
    return sorted((m.name, m.slug) for m in models if m.layers is not None)


def _forms_context(session: Session) -> dict[str, Any]:
    return {
        "tools": {name: title for name, (_, _, title) in TOOLS.items()},
        "fits": list(BUILTIN_FITS),
        "gpus": list(calc.GPU_PEAKS),
        "memory_models": _memory_models(session),
        "values": {},
    }


@router.get("/calculator", response_class=HTMLResponse)
def calculator(request: Request, session: SessionDep) -> HTMLResponse:
    """Every calculator form."""
    return page(request, "calculator.html", lambda: _forms_context(session), json_url=None)


@router.get("/calculator/{tool}", response_class=HTMLResponse)
def calculator_tool(
    request: Request, session: SessionDep, tool: Annotated[str, Path(max_length=32)]
) -> Response:
    """One tool's form and, when the query string fills it, its answer."""
    if tool not in TOOLS:
        return error_page(
            request, f"no calculator tool {tool!r}; tools: {', '.join(TOOLS)}", status_code=404
        )
    shape, answer, title = TOOLS[tool]
    values = given(request.query_params, shape)
    twin = with_query(f"/api/v1/calc/{tool}", request.url.query)
    errors: list[str] = []

    def build() -> dict[str, Any]:
        context = _forms_context(session) | {
            "tool": tool,
            "title": title,
            "values": values,
            "errors": errors,
            "result": None,
        }
        if not values:
            return context
        try:
            found = answer(session, shape(**values))
        except ValidationError as error:
            errors.extend(messages(error))
            return context
        except calc.CalcError as error:
            errors.append(str(error))
            return context
        except RegistryError as error:
            errors.append(error.message)
            return context
        return context | found | {"rows": rows(found["result"])}

    response = page(request, "calculator.html", build, json_url=twin)
    if errors:
        response.status_code = 422
    return response
