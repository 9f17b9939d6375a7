"""Unknown query parameters on the machine-facing routes are refused (422 naming them).

``/evaluations.json?x=1`` used to answer 200 and be cached apart from ``/evaluations.json``: any
client could fill the response cache with copies of one answer. Every API route, JSON twin and
export (``/api/...``, ``*.json``, ``*.csv``) declares its parameters, so a name outside them is a
mistake worth saying (a misspelt filter would otherwise be silently ignored). Pages stay lenient:
links arrive with tracking parameters (``utm_source``) that must not break them, and the response
cache's byte bound keeps such copies from growing memory (docs/RELIABILITY.md).
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

MACHINE_PREFIXES = ("/api/",)
MACHINE_SUFFIXES = (".json", ".csv")


_ACCEPTED: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def accepted_names(route: APIRoute) -> frozenset[str]:
    """The query parameters ``route`` and its dependencies declare (a query model's fields by
    their aliases), worked out once per route."""
    found = _ACCEPTED.get(id(route))
    if found is None or found[0] is not route:
        found = _ACCEPTED[id(route)] = (route, _declared(route))
    return found[1]


def _declared(route: APIRoute) -> frozenset[str]:
    extra = (route.openapi_extra or {}).get("parameters", [])
    names: set[str] = {p["name"] for p in extra if p.get("in") == "query"}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending += dependant.dependencies
        for param in dependant.query_params:
            annotation = param.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names |= {f.alias or n for n, f in annotation.model_fields.items()}
            else:
                names.add(param.alias)
    return frozenset(names)


async def refuse_unknown_params(request: Request) -> None:
    """422 naming each query parameter that a machine-facing route does not declare."""
    path = request.url.path
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, APIRoute):
        return
    if not (path.startswith(MACHINE_PREFIXES) or path.endswith(MACHINE_SUFFIXES)):
        return
    accepted = accepted_names(route)
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if unknown:
        listed = ", ".join(sorted(accepted)) or "none"
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ["query", name],
                    "msg": f"Extra inputs are not permitted: this endpoint accepts {listed}",
                }
                for name in unknown
            ]
        )


M = TypeVar("M", bound=BaseModel)


def parse_query(request: Request, model: type[M]) -> M:
    """The query string as ``model`` (repeated names as lists), validated by pydantic directly.

    FastAPI's own reading of a query model looks up every field one by one on every request;
    for the model list's 25 filters that was the largest single cost of an uncached answer
    (docs/PERFORMANCE.md). Errors name the parameter as FastAPI's do (``["query", name]``)."""
    params = request.query_params
    values: dict[str, Any] = {}
    for name in params:
        found = params.getlist(name)
        values[name] = found if _is_list(model, name) else found[-1]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from None


@cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if get_origin(field.annotation) is list
        or any(get_origin(arg) is list for arg in get_args(field.annotation))
    )


def _is_list(model: type[BaseModel], name: str) -> bool:
    return name in _list_fields(model)


def openapi_query(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` describing ``model``'s fields as query parameters (what FastAPI would
    have written had it parsed the model itself)."""
    schema = model.model_json_schema(mode="validation")
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema["properties"].items():
        inlined = _inline(field_schema, definitions)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        description = inlined.pop("description", None)
        if description:
            parameter["description"] = description
        parameter["schema"] = inlined
        parameters.append(parameter)
    return {"parameters": parameters}


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """``schema`` with every ``$ref`` to ``definitions`` replaced by the definition."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema
