"""The comparison table: ``views.compare``'s result as grouped rows of cells with their sources.

Rows are grouped as a reader scans them (identity, access and licence, size, training, context,
architecture, placement, evaluations); a row "differs" when its cells do not all read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.calc import fit_title
from registry.models import ModelArchitecture, ModelPublic
from registry.services.calculator import resolve_fit
from registry.services.views import RULE_OF_THUMB, times
from registry.web.rendering import count, field_value, number, power10, source_label, tokens

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Identity", ("organization", "family", "release_date", "knowledge_cutoff", "stage",
                  "reasoning", "input_modalities", "output_modalities", "natively_multimodal")),
    ("Access and licence", ("access", "openness", "license", "training_data_released",
                            "training_code_released")),
    ("Size", ("architecture", "total_params", "active_params", "experts", "experts_per_token",
              "shared_experts")),
    ("Training", ("training_tokens", "tokens_per_param", "training_flops")),
    ("Context", ("context_length", "max_output_tokens")),
)  # fmt: skip
LABELS = {
    "total_params": "total parameters",
    "active_params": "active parameters per token",
    "training_tokens": "training tokens",
    "tokens_per_param": "tokens per (active) parameter",
    "training_flops": "training compute",
    "context_length": "context length (tokens)",
    "max_output_tokens": "most output tokens",
    "experts_per_token": "experts per token",
    "license": "licence",
}
# The fields whose sources the seeds record under one claim for every hyper-parameter.
ARCH_SOURCE = "arch"
PLACEMENT_NEEDS = ("total_params", "training_tokens")


@dataclass(frozen=True, kw_only=True)
class Cell:
    text: str
    undisclosed: bool = False
    source: str | None = None
    source_label: str | None = None
    confidence: str | None = None
    note: str | None = None


@dataclass(kw_only=True)
class Row:
    label: str
    cells: list[Cell]
    differs: bool = False
    key: str = ""


@dataclass(kw_only=True)
class Group:
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def differing(self) -> int:
        return sum(r.differs for r in self.rows)


def _text(model: ModelPublic, name: str, names: dict[str, dict[str, str]]) -> str:
    value = getattr(model, name)
    if name in ("family", "organization") and value:
        return names[name].get(value, value)
    if name == "training_flops":
        return f"{power10(value)} FLOPs" if value else "—"
    if name in ("context_length", "max_output_tokens"):
        return tokens(value)
    if name == "tokens_per_param":
        return number(value)
    return field_value(value, name)


def _cell(model: ModelPublic, name: str, names: dict[str, dict[str, str]]) -> Cell:
    if name in model.undisclosed:
        return Cell(text="undisclosed", undisclosed=True)
    claims = {s.field: s for s in model.sources}
    claim = claims.get(name) or (
        claims.get(ARCH_SOURCE) if name in ModelArchitecture.model_fields else None
    )
    text = _text(model, name, names)
    if claim is None or text == "—":
        return Cell(text=text)
    return Cell(
        text=text,
        source=claim.url,
        source_label=source_label(claim.url) if claim.url else None,
        confidence=claim.confidence.value,
        note=claim.note,
    )


def _arch_source(model: ModelPublic) -> Cell:
    claim = next((s for s in model.sources if s.field == ARCH_SOURCE), None)
    if claim is None or not claim.url:
        return Cell(text="—")
    return Cell(text="", source=claim.url, source_label=source_label(claim.url), note=claim.note)


def _row(label: str, cells: list[Cell], key: str = "") -> Row:
    return Row(label=label, cells=cells, differs=len({c.text for c in cells}) > 1, key=key)


def field_groups(
    result: dict[str, Any], names: dict[str, dict[str, str]], fit: str | None
) -> list[Group]:
    """Every group with a row per field some model fills, then placement and evaluations."""
    models: list[ModelPublic] = result["models"]
    placed = set(f for _, fs in GROUPS for f in fs)
    hyper = [f for f in result["fields"] if f in ModelArchitecture.model_fields and f not in placed]
    other = [
        f for f in result["fields"] if f not in placed and f not in hyper and f != "undisclosed"
    ]
    groups = []
    for title, names_ in (*GROUPS, ("Architecture", tuple(hyper)), ("Other", tuple(other))):
        group = Group(title=title)
        if title == "Architecture" and names_:
            # One source row for every hyper-parameter (the seeds cite a config once).
            group.rows.append(
                Row(label="hyper-parameters from", cells=[_arch_source(m) for m in models])
            )
        for name in names_:
            if all(getattr(m, name) in (None, []) and name not in m.undisclosed for m in models):
                continue
            label = LABELS.get(name, name.replace("_", " "))
            group.rows.append(_row(label, [_cell(m, name, names) for m in models], key=name))
        if len(group.rows) > (title == "Architecture"):
            groups.append(group)
    groups.append(placement_group(result, fit))
    evaluations = evaluation_group(result)
    if evaluations.rows:
        groups.append(evaluations)
    return groups


def placement_group(result: dict[str, Any], fit: str | None) -> Group:
    """Where each model sits against the 20:1 rule and the chosen fit (``views.placement_of``)."""
    models = result["models"]
    placements = [result["placements"][m.slug] for m in models]
    title = fit_title(resolve_fit(fit).name)
    why = {m.slug: f"not placed: {_missing(m, PLACEMENT_NEEDS)}" for m in models}

    def row(label: str, text: Any) -> Row:
        return _row(
            label,
            [
                Cell(text=text(p) if p else why[m.slug])
                for m, p in zip(models, placements, strict=True)
            ],
        )

    return Group(
        title="Placement",
        rows=[
            row(f"× Chinchilla's {RULE_OF_THUMB:.0f}:1 rule",
                lambda p: times(p["tokens_per_param"] / RULE_OF_THUMB)),
            row(f"× the compute-optimal ratio ({title})", lambda p: times(p["overtrain_factor"])),
            row("compute-optimal ratio at its compute",
                lambda p: f"{number(p['optimal']['tokens_per_param'])} tokens per parameter"),
            row("extra training pays off beyond",
                lambda p: f"{count(p['break_even_inference_tokens'])} tokens of inference"
                if p.get("break_even_inference_tokens") else "—"),
        ],
    )  # fmt: skip


def evaluation_group(result: dict[str, Any]) -> Group:
    """One row per benchmark and number of shots, a score (with its metric and source) per model."""
    group = Group(title="Evaluations")
    for aligned in result["evaluations"]:
        shots = aligned["shots"]
        setting = (
            "shots unstated" if shots is None else ("0-shot" if shots == 0 else f"{shots}-shot")
        )
        cells = []
        for m in result["models"]:
            e = aligned["scores"][m.slug]
            if e is None:
                cells.append(Cell(text="—"))
                continue
            extra = " (chain of thought)" if e["chain_of_thought"] else ""
            cells.append(
                Cell(
                    text=f"{e['score']:g} · {e['metric']}{extra}",
                    source=e["source"],
                    source_label=source_label(e["source"]),
                    note=e.get("note"),
                )
            )
        label = f"{aligned['benchmark_name']} ({aligned['metric']}) · {setting}"
        group.rows.append(_row(label, cells))
    return group


def _missing(model: ModelPublic, needs: tuple[str, ...]) -> str | None:
    """'training tokens undisclosed': the first of ``needs`` the model lacks, and why."""
    for name in needs:
        if getattr(model, name) in (None, 0):
            state = "undisclosed" if name in model.undisclosed else "not recorded"
            return f"{LABELS.get(name, name.replace('_', ' '))} {state}"
    return None


def left_out(models: list[ModelPublic], needs: tuple[str, ...]) -> list[str]:
    """'Mixtral 8x22B (training tokens undisclosed)' for each model lacking one of ``needs``."""
    return [f"{m.name} ({why})" for m in models if (why := _missing(m, needs))]
