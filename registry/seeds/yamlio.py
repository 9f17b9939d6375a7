"""Reading YAML with the line and column of every key, for precise error messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

SCHEMA_COMMENT = "# yaml-language-server: $schema="


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the seeds, printed as ``path:line:column: field.path: message``."""

    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.field}: {self.message}"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file and where each of its nodes starts."""

    path: str
    data: Any

    def position(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the deepest node along ``loc`` that the file holds."""
        node, line, column = self.data, 0, 0
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.value(part) if _is_scalar(node[part]) else _start(node, part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
            else:
                break
        return line + 1, column + 1

    def holds(self, loc: Sequence[str | int]) -> bool:
        """Whether the file spells out every step of ``loc``."""
        node = self.data
        for part in loc:
            if not _has(node, part):
                return False
            node = node[part]
        return True

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        line, column = self.position(loc)
        return Problem(self.path, line, column, field_path(loc), message)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, CommentedMap):
        return part in node
    return isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node)


def _is_scalar(node: Any) -> bool:
    return not isinstance(node, CommentedMap | CommentedSeq)


def _start(parent: CommentedMap, key: Any) -> tuple[int, int]:
    child = parent[key]
    if child.lc.line is not None and len(child) > 0:
        return child.lc.line, child.lc.col
    return parent.lc.value(key)


def field_path(loc: Sequence[str | int]) -> str:
    """``('models', 3, 'total_params')`` → ``models[3].total_params``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)"


class _DatesAsText(RoundTripConstructor):
    """Keeps dates as written: an impossible one (2024-13-02) is reported where it stands."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


class RefusedYaml(MarkedYAMLError):
    """A YAML construct seeds may not use (``registry.seeds.limits``), reported where it stands."""


def read_yaml(path: Path, display: str) -> YamlDocument | Problem:
    """The parsed document, or the syntax problem that stopped the parser."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Problem(display, 1, 1, "(yaml)", f"cannot read the file: {exc.strerror}")
    return parse_yaml(data, display)


def parse_yaml(data: bytes, display: str, composer: Any = None) -> YamlDocument | Problem:
    """The document ``data`` holds, or the problem that stopped the parser; ``composer`` (a
    ruamel ``Composer`` class) may refuse constructs as it meets them."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Constructor = _DatesAsText
    if composer is not None:
        yaml.Composer = composer
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Problem(display, line, 1, "(yaml)", f"the file is not UTF-8 text: {exc.reason}")
    try:
        loaded = yaml.load(text)
    except RefusedYaml as exc:
        mark = exc.problem_mark
        return Problem(display, mark.line + 1, mark.column + 1, "(yaml)", str(exc.problem))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Problem(display, line, column, "(yaml)", f"YAML syntax error: {message[:300]}")
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        return Problem(display, 1, 1, "(yaml)", f"cannot read the file: {str(exc)[:300]}")
    if not isinstance(loaded, CommentedMap):
        kind = type(loaded).__name__ if loaded is not None else "an empty document"
        return Problem(display, 1, 1, "(file)", f"expected a mapping at the top level; got {kind}")
    return YamlDocument(display, loaded)
