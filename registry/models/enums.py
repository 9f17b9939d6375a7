"""Closed sets of the knowledge base (docs/SCIENCE.md §1), stored as CHECK-constrained strings."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa

# --- closed sets (docs/SCIENCE.md §1) ------------------------------------------------------


class Access(StrEnum):
    """How people can use a model."""

    API = "api"
    OPEN_WEIGHTS = "open-weights"
    BOTH = "both"
    UNRELEASED = "unreleased"


class Openness(StrEnum):
    """What is released: open weights are not open source (weights, data and code)."""

    CLOSED = "closed"
    OPEN_WEIGHTS_RESTRICTED = "open-weights-restricted"
    OPEN_WEIGHTS_PERMISSIVE = "open-weights-permissive"
    OPEN_SOURCE = "open-source"


class Modality(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    PDF = "pdf"


class Direction(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class ArchitectureKind(StrEnum):
    DENSE = "dense"
    MOE = "moe"


class Stage(StrEnum):
    BASE = "base"
    INSTRUCT = "instruct"
    CHAT = "chat"


class Relation(StrEnum):
    """How a model was derived from its parent (docs/SCIENCE.md §1, lineage)."""

    INSTRUCTION_TUNED = "instruction-tuned"
    PREFERENCE_TUNED = "preference-tuned"
    RL_REASONING = "rl-reasoning"
    DISTILLED = "distilled"
    CONTINUED_PRETRAINING = "continued-pretraining"
    QUANTIZED = "quantized"
    MERGED = "merged"


class Confidence(StrEnum):
    """Provenance: the lab said it, it was computed here, or a third party estimated it."""

    REPORTED = "reported"
    DERIVED = "derived"
    ESTIMATED = "estimated"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def enum_column(
    enum: type[StrEnum], *, nullable: bool, name: str, primary_key: bool = False
) -> Any:
    """A VARCHAR column holding an enum's values, checked by a named CHECK constraint."""
    sa_enum = sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
    return sa.Column(sa_enum, nullable=nullable, primary_key=primary_key)
