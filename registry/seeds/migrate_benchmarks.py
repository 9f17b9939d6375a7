"""Rewriting free-text benchmark names in seed files to the slugs of ``seeds/benchmarks.yaml``.

The files are edited in place, span by span: ruamel's composer gives every node's exact start and
end, and only the benchmark value (and a note, where one is added) is replaced, so comments, flow
mappings and line breaks stay as written. Names already in slug form are left alone, so a second run
changes nothing (docs/CONTRIBUTING-DATA.md, "Benchmarks").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from registry.seeds.benchmarks import Vocabulary

GPQA_UNSTATED = "GPQA set (main or Diamond) not stated by the source"
DIAMOND = re.compile(r"\bdiamond\b", re.IGNORECASE)
MAIN_SET = re.compile(r"\bmain(?: set)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Rename:
    """One evaluation's benchmark rewritten (``slug`` None: no benchmark matched the name)."""

    path: str
    line: int
    column: int
    name: str
    slug: str | None
    note: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        if self.slug is None:
            return f"{where}: no benchmark is named {self.name!r}; left as is"
        added = f" (note: {self.note})" if self.note else ""
        return f"{where}: {self.name} -> {self.slug}{added}"


def _get(node: Any, key: str) -> tuple[ScalarNode, Any] | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node, value_node
    return None


def scalar_text(node: ScalarNode) -> str:
    """A scalar's text (ruamel marks the folds of a ``>`` block with BEL characters)."""
    return str(node.value).replace("\a", "")


def span(node: Any, text: str) -> tuple[int, int]:
    """Where ``node`` stands in ``text``, without the line breaks a block scalar ends with."""
    start, end = node.start_mark.index, node.end_mark.index
    while end > start and text[end - 1] in " \n":
        end -= 1
    return start, end


def _items(node: Any, key: str) -> list[Any]:
    found = _get(node, key)
    return list(found[1].value) if found and isinstance(found[1], SequenceNode) else []


def _choose(name: str, note: str | None, vocabulary: Vocabulary) -> tuple[str, str | None] | None:
    """The slug for ``name`` and the note text to add (a version, or GPQA's unknown set)."""
    found = vocabulary.slug_for(name)
    if found is None:
        return None
    slug, version = found
    if slug == "gpqa" and name.strip().casefold() == "gpqa":
        # Plain "GPQA" names either set: the note may say which; otherwise say it is unknown.
        if note and DIAMOND.search(note) and "gpqa-diamond" in vocabulary.benchmarks:
            return "gpqa-diamond", None
        if note and MAIN_SET.search(note):
            return "gpqa", None
        return "gpqa", GPQA_UNSTATED
    return slug, (f"version {version}" if version else None)


def migrate_text(
    text: str, vocabulary: Vocabulary, path: str = "<text>"
) -> tuple[str, list[Rename]]:
    """``text`` with every evaluation's benchmark name replaced by its slug, and what changed."""
    root = YAML(typ="rt").compose(text)
    edits: list[tuple[int, int, str]] = []
    renames: list[Rename] = []
    for model in _items(root, "models"):
        for evaluation in _items(model, "evaluations"):
            found = _get(evaluation, "benchmark")
            if found is None or not isinstance(found[1], ScalarNode):
                continue
            key_node, value = found
            name = str(value.value)
            if name in vocabulary.benchmarks:
                continue  # already a slug
            line, column = value.start_mark.line + 1, value.start_mark.column + 1
            note_item = _get(evaluation, "note")
            old_note = scalar_text(note_item[1]) if note_item else None
            chosen = _choose(name, old_note, vocabulary)
            if chosen is None:
                renames.append(Rename(path, line, column, name, None))
                continue
            slug, addition = chosen
            edits.append((value.start_mark.index, value.end_mark.index, slug))
            if addition and note_item is not None:
                note_node = note_item[1]
                combined = json.dumps(f"{addition}; {old_note}", ensure_ascii=False)
                edits.append((*span(note_node, text), combined))
            elif addition:
                quoted = json.dumps(addition, ensure_ascii=False)
                if evaluation.flow_style:
                    insert = f", note: {quoted}"
                else:
                    insert = "\n" + " " * key_node.start_mark.column + f"note: {quoted}"
                edits.append((value.end_mark.index, value.end_mark.index, insert))
            renames.append(Rename(path, line, column, name, slug, addition))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, renames


def migrate_file(path: Path, vocabulary: Vocabulary, *, display: str, write: bool) -> list[Rename]:
    """Rewrite one seed file in place (unless ``write`` is false); return its renames."""
    original = path.read_text(encoding="utf-8")
    migrated, renames = migrate_text(original, vocabulary, display)
    if write and migrated != original:
        path.write_text(migrated, encoding="utf-8")
    return renames
