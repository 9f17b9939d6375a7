"""``/calculator``: forms over the scaling-law calculator, answered by ``registry.services``.

Each tool is a GET form whose query string is the one its JSON twin, ``/api/v1/calc/<tool>``,
takes: the form is parsed into the same input model and answered by the same service function, so
a result page shows the answer its JSON twin returns (``docs/CALCULATOR.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from registry import calc
from registry.errors import BadInput, RegistryError, validation_messages
from registry.http.deps import SessionDep
from registry.services import calculator as service
from registry.services.calc_display import result_rows
from registry.services.calc_inputs import (
    CalcInput,
    InferenceOptimalInput,
    MemoryInput,
    OptimalInput,
    PlaceInput,
)
from registry.services.knowledge import model_architecture
from registry.store import queries
from registry.web import datasets
from registry.web.charts import render_chart
from registry.web.charts.placement import placement_chart
from registry.web.forms import given
from registry.web.rendering import error_page, page, with_query

router = APIRouter(include_in_schema=False)


def _place(session: Session, form: PlaceInput) -> dict[str, Any]:
    placed = service.place(form)
    law = service.resolve_fit(form.fit)
    model = {
        "name": "your model",
        "family": "—",
        "access": "unreleased",
        "architecture": "moe" if placed["note"] else "dense",
    }
    key = (form.params, form.tokens, form.active_params, law.name)
    chart = render_chart(key, lambda: placement_chart(law, model, placed), name="calc-place")
    return {"result": placed, "chart": chart}


def _memory(session: Session, form: MemoryInput) -> dict[str, Any]:
    if form.model is None:
        raise BadInput("model: pick a registry model with a recorded architecture")
    arch = model_architecture(session, slug=form.model)
    return {"result": service.memory(form, arch)}


def _answer(tool: Callable[[Any], dict[str, Any]]) -> Callable[[Session, Any], dict[str, Any]]:
    return lambda _session, form: {"result": tool(form)}


Tool = tuple[type[CalcInput], Callable[[Session, Any], dict[str, Any]], str]
TOOLS: dict[str, Tool] = {
    "optimal": (
        OptimalInput,
        _answer(service.optimal),
        "Compute-optimal model for a training budget",
    ),
    "place": (PlaceInput, _place, "Where a trained model stands"),
    "inference-optimal": (
        InferenceOptimalInput,
        _answer(service.inference_optimal),
        "Inference-optimal model for a lifetime demand",
    ),
    "memory": (MemoryInput, _memory, "Memory and speed limits of a registry model"),
}


def _memory_models(session: Session) -> list[tuple[str, str]]:
    revision = queries.data_revision(session)
    models = datasets.models(session, revision)
    return sorted((m.name, m.slug) for m in models if m.layers is not None)


def _forms_context(session: Session) -> dict[str, Any]:
    return {
        "tools": {name: title for name, (_, _, title) in TOOLS.items()},
        "fits": list(service.fit_choices()),
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
            errors.extend(validation_messages(error))
            return context
        except calc.CalcError as error:
            errors.append(str(error))
            return context
        except RegistryError as error:
            errors.append(error.message)
            return context
        return context | found | {"rows": result_rows(found["result"])}

    response = page(request, "calculator.html", build, json_url=twin)
    if errors:
        response.status_code = 422
    return response
