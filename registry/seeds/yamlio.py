"""Reading YAML with the line and column of every node, for precise error messages.

The text is parsed by libyaml (PyYAML's C parser; its pure-Python parser where libyaml is
missing) into events, and one loop here builds plain dicts and lists from them, noting where each
value starts. Scalars resolve as in YAML 1.2's core schema (``yes`` and ``on`` stay text, ``0o17``
is octal, ``017`` is 17), and dates stay text as written, so an impossible one (2024-13-02) is
reported where it stands. Seeds may not use what would make a small file large or a value
surprising (``registry.seeds.limits``): aliases, explicit tags, merge keys, complex keys, duplicate
keys, and (when ``max_depth`` is given) deep nesting are refused at the event that holds them,
before anything is built from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark, MarkedYAMLError, YAMLError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

SCHEMA_COMMENT = "# yaml-language-server: $schema="
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """A parsed file and where each of its nodes starts.

    ``marks`` maps ``id()`` of each dict and list of ``data`` to where it starts and where each of
    its values starts (a dict of marks by key, or a list of marks by index). ``holds_nul``: some
    text of it holds a NUL character (only an escape in double quotes can write one)."""

    path: str
    data: Any
    marks: dict[int, tuple[Mark, Any]] = field(default_factory=dict, repr=False, compare=False)
    holds_nul: bool = False

    def position(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the deepest node along ``loc`` that the file holds."""
        node, line, column = self.data, 0, 0
        for part in loc:
            if not _has(node, part):
                break
            mark = self.marks[id(node)][1][part]
            line, column = mark.line, mark.column
            node = node[part]
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
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def field_path(loc: Sequence[str | int]) -> str:
    """``('models', 3, 'total_params')`` → ``models[3].total_params``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)"


class RefusedYaml(MarkedYAMLError):
    """A YAML construct seeds may not use (``registry.seeds.limits``), reported where it stands."""


def read_yaml(path: Path, display: str) -> YamlDocument | Problem:
    """The parsed document, or the syntax problem that stopped the parser."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Problem(display, 1, 1, "(yaml)", f"cannot read the file: {exc.strerror}")
    return parse_yaml(data, display)


def parse_yaml(
    data: bytes, display: str, *, max_depth: int | None = None
) -> YamlDocument | Problem:
    """The document ``data`` holds, or the problem that stopped the parser; collections nested
    deeper than ``max_depth`` are refused before they are read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Problem(display, line, 1, "(yaml)", f"the file is not UTF-8 text: {exc.reason}")
    try:
        loaded, marks, holds_nul = _compose(text, max_depth)
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
    if not isinstance(loaded, dict):
        kind = type(loaded).__name__ if loaded is not None else "an empty document"
        return Problem(display, 1, 1, "(file)", f"expected a mapping at the top level; got {kind}")
    return YamlDocument(display, loaded, marks, holds_nul)


# --- events to values ----------------------------------------------------------------------------

_NO_KEY = object()


def _compose(text: str, max_depth: int | None) -> tuple[Any, dict[int, tuple[Mark, Any]], bool]:
    """The single document of ``text`` as dicts, lists and scalars, the marks of each collection
    (see ``YamlDocument.marks``), and whether some text holds a NUL. One flat loop over the
    parser's events: seeds run to hundreds of thousands of nodes, so no per-node function calls
    beyond resolving plain scalars."""
    loader = Loader(text)
    try:
        get_event = loader.get_event
        marks: dict[int, tuple[Mark, Any]] = {}
        stack: list[tuple[Any, Any, Any]] = []
        root: Any = None
        node: Any = None  # the collection being filled: a dict or a list, None at the top
        children: Any = None  # its values' marks
        key: Any = _NO_KEY  # in a dict, the key waiting for its value
        depth_limit = max_depth if max_depth is not None else float("inf")
        documents = 0
        holds_nul = False
        while True:
            event = get_event()
            kind = event.__class__
            if kind is ScalarEvent:
                if event.tag is not None and event.tag != "!":
                    _refuse_tag(event)
                value = event.value
                if not event.style:  # plain: resolved by its text
                    value = _plain(value)
                elif "\x00" in value:  # the reader refuses a raw NUL: an escape wrote it
                    holds_nul = True
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None and event.tag != "!":
                    _refuse_tag(event)
                if len(stack) >= depth_limit:
                    raise RefusedYaml(
                        problem=f"nested more than {max_depth} levels deep: seeds are never "
                        "this deep",
                        problem_mark=event.start_mark,
                    )
                if key is _NO_KEY and node.__class__ is dict:
                    raise RefusedYaml(
                        problem="a mapping or a list as a key is not allowed in seeds: keys are "
                        "plain names",
                        problem_mark=event.start_mark,
                    )
                value = {} if kind is MappingStartEvent else []
                marks[id(value)] = (event.start_mark, {} if kind is MappingStartEvent else [])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                node, children, key = stack.pop()
                continue
            elif kind is AliasEvent:
                raise RefusedYaml(
                    problem=f"YAML aliases (*{_short(event.anchor)}) are not allowed in seeds: "
                    "write the value out",
                    problem_mark=event.start_mark,
                )
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise MarkedYAMLError(
                        context="expected a single document in the stream",
                        problem="but found another document",
                        problem_mark=event.start_mark,
                    )
                continue
            elif kind is StreamEndEvent:
                return root, marks, holds_nul
            else:  # stream start, document end
                continue
            # A value: the document itself, a key, a key's value or an item.
            if node is None:
                root = value
            elif node.__class__ is dict:
                if key is _NO_KEY:
                    if value == "<<" and not event.style:
                        raise RefusedYaml(
                            problem="YAML merge keys (<<) are not allowed in seeds: write the "
                            "keys out",
                            problem_mark=event.start_mark,
                        )
                    if value in node:
                        raise RefusedYaml(
                            problem=f"duplicate key {_short(value)!r}: a key may appear once "
                            f"in a mapping (first at line {children[value].line + 1})",
                            problem_mark=event.start_mark,
                        )
                    key = value
                else:
                    node[key] = value
                    children[key] = event.start_mark
                    key = _NO_KEY
            else:
                node.append(value)
                children.append(event.start_mark)
            if kind is not ScalarEvent:  # a collection opens: fill it
                stack.append((node, children, key))
                node, children, key = value, marks[id(value)][1], _NO_KEY
    finally:
        loader.dispose()


def _refuse_tag(event: Any) -> None:
    raise RefusedYaml(
        problem=f"YAML tags ({_short(event.tag)}) are not allowed in seeds: "
        "write plain mappings, lists and values",
        problem_mark=event.start_mark,
    )


def _short(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 40 else text[:40] + "…"


# YAML 1.2 core schema, as ruamel.yaml resolves it (timestamps stay text).
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("-+0123456789.")
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o?[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+)")
_FLOAT = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""",
    re.X,
)
_BASES = {"0b": 2, "0o": 8, "0x": 16}


def _plain(text: str) -> Any:
    """A plain scalar's value: null, a boolean, an integer, a float, or the text itself."""
    if text[:1] in _NUMBER_START:
        if _INT.fullmatch(text):
            return _int(text)
        if _FLOAT.fullmatch(text):
            return _float(text)
        return text
    if text in _NULLS:
        return None
    return _BOOLS.get(text, text)


def _int(text: str) -> Any:
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    if not digits:
        return text  # only underscores: text, as ruamel.yaml reads it
    base = _BASES.get(digits[:2], 10)
    try:
        return sign * int(digits[2:] if base != 10 else digits, base)
    except ValueError:  # a prefix without digits (0x_): text
        return text


def _float(text: str) -> float:
    number = text.replace("_", "").lower()
    if number.endswith((".inf", ".nan")):
        number = number.replace(".", "")
    return float(number)
