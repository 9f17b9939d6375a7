"""Bridges between stored models and the calculator: the architecture of a model record or row."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from registry.calc import Architecture
from registry.errors import BadInput
from registry.store.queries import models_by_slug

ARCHITECTURE_FIELDS = tuple(field.name for field in dataclasses.fields(Architecture))


def architecture_of(values: Mapping[str, Any]) -> Architecture | None:
    """The calculator's Architecture for a model's fields, or None when its shape is not recorded.

    ``values`` holds a model's public fields (a seed record, or a row's ``model_dump()``): the
    architecture hyper-parameters plus the top-level ``experts``, ``experts_per_token`` and
    ``shared_experts``.
    """
    if values.get("layers") is None:
        return None
    kwargs = {name: values[name] for name in ARCHITECTURE_FIELDS if values.get(name) is not None}
    layers = kwargs.get("mlp_only_layers")
    if isinstance(layers, str):
        kwargs["mlp_only_layers"] = tuple(int(index) for index in layers.split(",") if index)
    return Architecture(**kwargs)


def model_architecture(session: Session, *, slug: str) -> Architecture:
    """The recorded architecture of a registry model; ``BadInput`` (422) when it has none."""
    (found,) = models_by_slug(session, slugs=[slug])
    arch = architecture_of(found.model_dump())
    if arch is None:
        raise BadInput(f"model: {slug!r} has no recorded architecture; try one with open weights")
    return arch
