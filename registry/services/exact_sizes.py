"""Exact parameter counts: the calculator's count of a model's ``arch``, written into its seed.

Where a model's configuration is public (``arch.source`` on the Hugging Face Hub or GitHub), the
checkpoint's count is what ``registry.calc.count_params`` gives for that block; the lab's rounded
figure (Llama 2 "7B" for 6,738,415,616) moves into the claim's note with its source. Edits are
made span by span, as ``migrate_benchmarks`` does, so comments and layout stay
(docs/CONTRIBUTING-DATA.md, "Exact sizes").
Left alone: an already exact figure (fewer than five zeros at the end, such as BLOOM's
176,247,271,424), a total that names what else it counts (``total_params_includes``), and counts
further off than ``max_gap`` (a different convention, which the arch note explains).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode

from registry.calc import count_params
from registry.seeds.migrate_benchmarks import _get, _items, scalar_text, span
from registry.seeds.records import model_record
from registry.seeds.rules import resolve_source
from registry.seeds.schema import FamilyFile
from registry.services.knowledge import architecture_of

PUBLIC_CONFIG_HOSTS = ("https://huggingface.co/", "https://github.com/")
MAX_GAP = {"total_params": 0.10, "active_params": 0.01}
ROUNDED_ZEROS = 5  # 7000000000 and 46700000000 are rounded; 6738415616 is a count


@dataclass(frozen=True)
class Exact:
    slug: str
    field: str
    old: int
    new: int

    def __str__(self) -> str:
        return f"{self.slug} {self.field}: {self.old:,} -> {self.new:,}"


def public_config(url: str | None) -> bool:
    return bool(url) and str(url).startswith(PUBLIC_CONFIG_HOSTS)


def _rounded(value: int) -> bool:
    return str(value).endswith("0" * ROUNDED_ZEROS)


def exact_counts(content: FamilyFile) -> list[tuple[int, Exact, str]]:
    """(model index, change, arch source reference) for every count to make exact."""
    found = []
    for index, model in enumerate(content.models):
        record = model_record(model, content)
        arch = architecture_of(record)
        if arch is None or model.arch is None or model.total_params_includes:
            continue
        reference = model.arch.source or model.source
        if reference is None or not public_config(resolve_source(reference, content.sources)):
            continue
        counted = count_params(arch)
        for field, count in (("total_params", counted.total), ("active_params", counted.active)):
            claim = getattr(model, field)
            published = record[field]
            if claim is None or not isinstance(published, int) or published == count:
                continue
            if _rounded(published) and abs(count - published) / published <= MAX_GAP[field]:
                found.append((index, Exact(model.slug, field, published, count), reference))
    return found


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _note(old_text: str, source_name: str, old_source: str | None) -> str:
    where = f" ({old_source})" if old_source and old_source != source_name else ""
    return (
        f"exact count of the {source_name} architecture (registry.calc count_params); "
        f"the lab's rounded figure is {old_text}{where}"
    )


def apply_exact(text: str, changes: list[tuple[int, Exact, str]]) -> str:
    """``text`` with each change's claim rewritten to the exact count, sourced to the config."""
    root = YAML(typ="rt").compose(text)
    models = _items(root, "models")
    edits: list[tuple[int, int, str]] = []
    for index, change, reference in changes:
        _, node = _get(models[index], change.field)  # type: ignore[misc]
        default = _get(models[index], "source")
        model_source = scalar_text(default[1]) if default else None
        if isinstance(node, ScalarNode):
            note = _note(scalar_text(node), reference, model_source)
            replacement = (
                f"{{value: {change.new}, source: {reference}, confidence: derived, "
                f"note: {_quoted(note)}}}"
            )
            edits.append((*span(node, text), replacement))
            continue
        assert isinstance(node, MappingNode)
        _, value = _get(node, "value")  # type: ignore[misc]
        old = _get(node, "source")
        note = _note(scalar_text(value), reference, scalar_text(old[1]) if old else model_source)
        edits.append((*span(value, text), str(change.new)))
        missing = []
        for key, new in (("source", reference), ("confidence", "derived"), ("note", "")):
            item = _get(node, key)
            if key == "note":
                new = _quoted(f"{note}. {scalar_text(item[1])}" if item else note)
            if item is not None:
                edits.append((*span(item[1], text), new))
            else:
                missing.append((key, new))
        if missing:
            edits.append(_insert_after(node, span(value, text)[1], missing))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _insert_after(
    mapping: MappingNode, end: int, items: list[tuple[str, str]]
) -> tuple[int, int, str]:
    """Keys added to ``mapping`` right after the value ending at ``end``."""
    if mapping.flow_style:
        return end, end, "".join(f", {key}: {new}" for key, new in items)
    indent = "\n" + " " * mapping.value[0][0].start_mark.column
    return end, end, "".join(f"{indent}{key}: {new}" for key, new in items)


def make_exact(
    path: Path,
    content: FamilyFile,
    *,
    write: bool,
    only: set[tuple[str, str]] | None = None,
) -> list[Exact]:
    """Rewrite one family file's counts (those named in ``only``, default all); return them."""
    changes = [c for c in exact_counts(content) if only is None or (c[1].slug, c[1].field) in only]
    if changes and write:
        path.write_text(apply_exact(path.read_text(encoding="utf-8"), changes), encoding="utf-8")
    return [change for _, change, _ in changes]
