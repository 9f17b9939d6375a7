"""What changes between two sets of records, and the Markdown report reviewers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.numbers import humanize_count
from registry.seeds.records import Record, TreeRecords

DERIVED_REPORTED = ("tokens_per_param", "training_flops")
KINDS = ("organizations", "families", "models")


@dataclass
class KindChanges:
    """Slugs added and removed, and field changes (field → (old, new)) of those kept."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self, noun: str) -> str:
        return (
            f"{len(self.added)} {noun} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed"
        )


@dataclass
class ChangeSet:
    organizations: KindChanges
    families: KindChanges
    models: KindChanges
    benchmarks: KindChanges = field(default_factory=KindChanges)

    @property
    def empty(self) -> bool:
        return all(getattr(self, kind).empty for kind in (*KINDS, "benchmarks"))

    def summary(self) -> str:
        kinds = (*KINDS, "benchmarks") if not self.benchmarks.empty else KINDS
        return "; ".join(getattr(self, kind).summary(kind) for kind in kinds)


def compare(old: TreeRecords, new: TreeRecords) -> ChangeSet:
    """The changes that turn ``old`` into ``new``."""
    return ChangeSet(
        *(_compare(getattr(old, kind), getattr(new, kind)) for kind in KINDS),
        benchmarks=_compare(old.benchmarks, new.benchmarks),
    )


def _compare(old: dict[str, Record], new: dict[str, Record]) -> KindChanges:
    changes = KindChanges(
        added=sorted(new.keys() - old.keys()), removed=sorted(old.keys() - new.keys())
    )
    for slug in sorted(old.keys() & new.keys()):
        fields = {
            key: (old[slug].get(key), new[slug].get(key))
            for key in sorted(old[slug].keys() | new[slug].keys())
            if old[slug].get(key) != new[slug].get(key)
        }
        if fields:
            changes.changed[slug] = fields
    return changes


def markdown_report(changes: ChangeSet, old: TreeRecords, new: TreeRecords) -> str:
    """A review report: what was added, removed and changed, and how derived values move."""
    lines = ["## Seed changes", "", changes.summary() + ".", ""]
    if changes.empty:
        return "\n".join([*lines, "No change to the knowledge base."]) + "\n"
    models = changes.models
    if models.added:
        lines += [
            "### Models added",
            "",
            "| model | family | total | active | tokens | tokens/param |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for slug in models.added:
            record = new.models[slug]
            lines.append(
                f"| `{slug}` | {record['family']} | {humanize_count(record['total_params'])} | "
                f"{humanize_count(record['active_params'])} | "
                f"{humanize_count(record['training_tokens'])} | "
                f"{_fmt(record['tokens_per_param'])} |"
            )
        lines.append("")
    if models.removed:
        lines += ["### Models removed", "", *[f"- `{slug}`" for slug in models.removed], ""]
    if models.changed:
        lines += ["### Models changed", ""]
        for slug, fields in models.changed.items():
            lines.append(f"- `{slug}`")
            lines += [
                f"  - {key}: {_fmt(a)} → {_fmt(b)}"
                for key, (a, b) in fields.items()
                if key not in ("claims", "evaluations", "lineage")
            ]
            lines += _nested_changes(fields)
        lines.append("")
        moved = _derived_moves(models)
        if moved:
            lines += [
                "### Derived values",
                "",
                "| model | value | old | new | change |",
                "| --- | --- | --- | --- | --- |",
                *moved,
                "",
            ]
    for kind in ("families", "organizations", "benchmarks"):
        kind_changes: KindChanges = getattr(changes, kind)
        if not kind_changes.empty:
            lines += [f"### {kind.capitalize()}", ""]
            lines += [f"- added `{slug}`" for slug in kind_changes.added]
            lines += [f"- removed `{slug}`" for slug in kind_changes.removed]
            for slug, fields in kind_changes.changed.items():
                lines += [
                    f"- `{slug}` {key}: {_fmt(a)} → {_fmt(b)}" for key, (a, b) in fields.items()
                ]
            lines.append("")
    return "\n".join(lines)


def _nested_changes(fields: dict[str, tuple[Any, Any]]) -> list[str]:
    lines = []
    if "claims" in fields:
        old, new = (value or {} for value in fields["claims"])
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) != new.get(name):
                lines.append(
                    f"  - source of {name}: {_claim(old.get(name))} → {_claim(new.get(name))}"
                )
    for key in ("evaluations", "lineage"):
        if key in fields:
            old, new = (value or [] for value in fields[key])
            gone = [row for row in old if row not in new]
            came = [row for row in new if row not in old]
            lines += [f"  - {key} removed: {_row(row)}" for row in gone]
            lines += [f"  - {key} added: {_row(row)}" for row in came]
    return lines


def _derived_moves(models: KindChanges) -> list[str]:
    rows = []
    for slug, fields in models.changed.items():
        for key in DERIVED_REPORTED:
            if key in fields:
                old, new = fields[key]
                ratio = f"×{new / old:.3g}" if old and new else "—"
                rows.append(f"| `{slug}` | {key} | {_fmt(old)} | {_fmt(new)} | {ratio} |")
    return rows


def _claim(claim: list[Any] | None) -> str:
    if claim is None:
        return "none"
    url, confidence, undisclosed = claim[:3]
    return "undisclosed" if undisclosed else f"{confidence} ({url or 'computed here'})"


def _row(row: list[Any]) -> str:
    return ", ".join(str(part) for part in row if part is not None)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return "—" if value is None else str(value)
