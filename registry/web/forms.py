"""Reading HTML forms: blank fields mean "not given", and bad values become messages on the page.

A GET form sends every field, empty or not (``access=&family=llama``); the API's ``ModelFilters``
would reject the empty ones, so the page drops them first and then validates with the very same
class, which is why the table and ``/api/v1/models`` select the same models.
"""

from __future__ import annotations

import contextlib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

from registry.errors import validation_messages
from registry.numbers import parse_count
from registry.store.filters import ModelFilters

# Filters holding counts: the form takes them as people write them (7B, 128k, 7e9).
COUNT_FILTERS = (
    "min_context",
    "max_context",
    "min_params",
    "max_params",
    "min_active_params",
    "max_active_params",
)


def _is_list(model: type[BaseModel], name: str) -> bool:
    return typing.get_origin(model.model_fields[name].annotation) is list


def given(params: QueryParams, model: type[BaseModel]) -> dict[str, Any]:
    """The non-blank values of ``model``'s fields in ``params`` (lists for list fields)."""
    values: dict[str, Any] = {}
    for name in model.model_fields:
        found = [value for value in params.getlist(name) if value.strip()]
        if found:
            values[name] = found if _is_list(model, name) else found[-1].strip()
    return values


def model_filters(params: QueryParams) -> tuple[ModelFilters, list[str]]:
    """The filters of a query string, or the defaults and the problems found."""
    values = given(params, ModelFilters)
    for name in COUNT_FILTERS:
        if name in values:
            # A value parse_count refuses is left for ModelFilters to report, quoted.
            with contextlib.suppress(ValueError):
                values[name] = parse_count(values[name])
    try:
        return ModelFilters(**values), []
    except ValidationError as error:
        return ModelFilters(), validation_messages(error)


def slugs(value: str | None) -> list[str]:
    """'a, b,,a' -> ['a', 'b']: comma-separated slugs, stripped and without repeats."""
    parts = (part.strip() for part in (value or "").split(","))
    return list(dict.fromkeys(part for part in parts if part))
