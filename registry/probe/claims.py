"""Measured beside claimed: what a checkpoint is against what the registry says of it.

Every value the registry records and the probe can measure is compared; a difference over
``TOLERANCE`` (1 %) is flagged. The model page and the API call ``measured_vs_claimed``; the
probe calls ``compare_claims`` when it records a run for a ``--model``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from registry.models import Model, ModelPublic, ProbeRunBase

# The stored row or its public shape: both carry the claimed fields compared here.
ClaimedModel = Model | ModelPublic

TOLERANCE = 0.01  # the rule: flag each difference over 1 %
# Registry column -> the probe's name for the same value (architecture fields share names).
COMPARED_FIELDS = (
    "total_params",
    "active_params",
    "experts",
    "experts_per_token",
    "layers",
    "hidden_size",
    "vocab_size",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "ffn_size",
    "moe_ffn_size",
    "context_length",
)


@dataclass(frozen=True, kw_only=True)
class ClaimCheck:
    """One value, measured and claimed; ``difference`` is relative to the claim."""

    field: str
    measured: float
    claimed: float
    difference: float
    matches: bool


@dataclass(frozen=True, kw_only=True)
class MeasuredVsClaimed:
    """Every comparison of a run with its model, and one sentence for the page."""

    model: str
    tolerance: float
    matches: bool
    summary: str
    checks: list[ClaimCheck]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the ``claims`` section of ``registry probe --json``)."""
        return asdict(self)


def _check(field: str, measured: float, claimed: float) -> ClaimCheck:
    difference = (measured - claimed) / claimed if claimed else float(measured != claimed)
    return ClaimCheck(
        field=field,
        measured=measured,
        claimed=claimed,
        difference=round(difference, 6),
        matches=abs(difference) <= TOLERANCE,
    )


def _measured_value(measured: Mapping[str, Any], field: str) -> Any:
    value = measured.get(field)
    if value is None and field != "context_length":
        value = (measured.get("architecture") or {}).get(field)
    return value


def compare_claims(measured: Mapping[str, Any], model: ClaimedModel) -> MeasuredVsClaimed:
    """Compare ``measured`` (a probe run's fields) with ``model``'s recorded values.

    A field is compared when both sides have it; a dense model with no recorded active count
    is compared on its total. Differences over 1 % are flagged with ``matches = False``.
    """
    checks = []
    for field in COMPARED_FIELDS:
        value, claim = _measured_value(measured, field), getattr(model, field, None)
        if field == "active_params" and claim is None and not model.experts:
            claim = model.total_params
        if value is not None and claim is not None and not isinstance(value, bool):
            checks.append(_check(field, value, claim))
    return MeasuredVsClaimed(
        model=model.slug,
        tolerance=TOLERANCE,
        matches=all(c.matches for c in checks),
        summary=summary_sentence(measured, model),
        checks=checks,
    )


def measured_vs_claimed(run: ProbeRunBase, model: ClaimedModel) -> MeasuredVsClaimed:
    """The model page's comparison of a recorded ``run`` with ``model``'s claims."""
    return compare_claims(run.model_dump(), model)


def format_measured(params: float) -> str:
    """A measured count with two decimals: 46.70B, 260.42K."""
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if params >= scale:
            return f"{params / scale:.2f}{unit}"
    return str(int(params))


def format_claimed(params: float) -> str:
    """A claimed count as the lab writes it, up to four significant digits: 46.7B."""
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if params >= scale:
            return f"{params / scale:.4g}{unit}"
    return str(int(params))


def summary_sentence(measured: Mapping[str, Any], model: ClaimedModel) -> str:
    """'measured 46.70B total / 12.88B active against claimed 46.7B / 12.9B'."""
    total, active = measured.get("total_params"), measured.get("active_params")
    if total is None:
        return "no parameter count measured"
    mine = f"measured {format_measured(total)} total"
    if active is not None and active != total:
        mine += f" / {format_measured(active)} active"
    if model.total_params is None:
        return f"{mine}; the registry records no parameter count for {model.slug}"
    theirs = format_claimed(model.total_params)
    if model.active_params is not None and model.active_params != model.total_params:
        theirs += f" / {format_claimed(model.active_params)}"
    return f"{mine} against claimed {theirs}"
