"""The seed reader (``registry.seeds.yamlio``): values and positions as ruamel.yaml's round-trip
loader gave them, YAML 1.2 scalars, and the constructs seeds may not use refused where they stand."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from tests_support import MINI_SEEDS

from registry.seeds.yamlio import Problem, YamlDocument, parse_yaml

SEEDS = Path(__file__).parents[2] / "seeds"


def _read(text: str, max_depth: int | None = 16) -> YamlDocument | Problem:
    return parse_yaml(text.encode(), "seed.yaml", max_depth=max_depth)


def _document(text: str) -> YamlDocument:
    document = _read(text)
    assert isinstance(document, YamlDocument), document
    return document


# --- against ruamel.yaml's round-trip loader, the reader before -----------------------------------


class _DatesAsText(RoundTripConstructor):
    """As the validator configured ruamel: dates kept as written."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _ruamel_load(text: str) -> Any:
    loader = YAML(typ="rt")
    loader.Constructor = _DatesAsText
    return loader.load(text)


def _plain(value: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, FoldedScalarString, ...) as plain values."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return ("nan",) if kind is float and math.isnan(value) else kind(value)
    raise AssertionError(f"unexpected {type(value).__name__}")


def _locations(node: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield loc
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield from _locations(value, (*loc, key))


def _ruamel_position(data: Any, loc: tuple[Any, ...]) -> tuple[int, int]:
    """Where ruamel's line and column records put ``loc`` (what the validator reported before)."""
    node, line, column = data, 0, 0
    for part in loc:
        if isinstance(node, CommentedMap):
            child = node[part]
            if isinstance(child, CommentedMap | CommentedSeq) and len(child) > 0:
                line, column = child.lc.line, child.lc.col
            else:
                line, column = node.lc.value(part)
        else:
            assert isinstance(node, CommentedSeq)
            line, column = node.lc.item(part)
        node = node[part]
    return line + 1, column + 1


SEED_FILES = sorted([*SEEDS.rglob("*.yaml"), *MINI_SEEDS.rglob("*.yaml")])


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_seed_file_reads_as_ruamel_round_trip_read_it(path: Path) -> None:
    text = path.read_text()
    before = _ruamel_load(text)
    document = _document(text)
    assert _plain(document.data) == _plain(before)
    for loc in _locations(document.data):
        assert document.position(loc) == _ruamel_position(before, loc), loc


# --- scalars -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("yes", "yes"),  # YAML 1.1 booleans stay text
        ("On", "On"),
        ("true", True),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("131072", 131072),
        ("-12", -12),
        ("1_000", 1000),
        ("0o17", 15),
        ("017", 17),  # YAML 1.2: a leading zero is not octal
        ("0x1F", 31),
        ("0b101", 5),
        ("0x_", "0x_"),
        ("2.5", 2.5),
        ("7.3e9", 7.3e9),
        ("1e+20", 1e20),
        (".5", 0.5),
        ("-.inf", -math.inf),
        ("46.7B", "46.7B"),
        ("2024-01-15", "2024-01-15"),  # dates stay text: checked where they stand
        ("2024-13-02", "2024-13-02"),
        ("'131072'", "131072"),
        ('"true"', "true"),
        ("=", "="),
    ],
)
def test_plain_scalars_resolve_as_yaml_1_2(written: str, value: Any) -> None:
    read = _document(f"a: {written}\n").data["a"]
    assert read == value and type(read) is type(value)


def test_nan_and_block_scalars() -> None:
    data = _document("a: .nan\nb: >-\n  folded\n  text\nc: |\n  kept\n   as is\n").data
    assert math.isnan(data["a"])
    assert data["b"] == "folded text"
    assert data["c"] == "kept\n as is\n"


# --- positions -----------------------------------------------------------------------------------


def test_positions_point_at_each_value() -> None:
    document = _document(
        "family:\n  slug: demo\nmodels:\n  - slug: a\n    arch: {layers: 2, heads: [1, 2]}\n"
    )
    assert document.position(("family", "slug")) == (2, 9)
    assert document.position(("models", 0)) == (4, 5)
    assert document.position(("models", 0, "arch", "layers")) == (5, 20)
    assert document.position(("models", 0, "arch", "heads", 1)) == (5, 34)
    assert document.position(("models", 0, "missing", "deeper")) == (4, 5)  # the deepest held
    assert document.holds(("models", 0, "arch")) and not document.holds(("models", 1))
    problem = document.problem(("models", 0, "arch", "layers"), "too few")
    assert str(problem) == "seed.yaml:5:20: models[0].arch.layers: too few"


# --- refused constructs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("a: &x 1\nb: *x\n", 2, 4, "YAML aliases (*x) are not allowed"),
        ("a: !!str 1\n", 1, 4, "YAML tags (tag:yaml.org,2002:str) are not allowed"),
        ("a: !!omap\n  - b: 1\n", 1, 4, "YAML tags (tag:yaml.org,2002:omap)"),
        ("a: 1\n<<: {b: 2}\n", 2, 1, "YAML merge keys (<<) are not allowed"),
        (
            "a: 1\nb: 2\na: 3\n",
            3,
            1,
            "duplicate key 'a': a key may appear once in a mapping (first",
        ),
        ("? [a, b]\n: 1\n", 1, 3, "a mapping or a list as a key is not allowed"),
        ("a: " + "[" * 20 + "]" * 20 + "\n", 1, 19, "nested more than 16 levels deep"),
        ("a: 1\n---\nb: 2\n", 2, 1, "expected a single document in the stream"),
        ("a: [1, 2\n", 2, 1, "YAML syntax error"),
        ("a: b: c\n", 1, 5, "YAML syntax error: mapping values are not allowed"),
        ("- a\n", 1, 1, "expected a mapping at the top level; got list"),
        ("# nothing\n", 1, 1, "expected a mapping at the top level; got an empty document"),
    ],
)
def test_refused_constructs_are_reported_where_they_stand(
    text: str, line: int, column: int, fragment: str
) -> None:
    problem = _read(text)
    assert isinstance(problem, Problem)
    assert (problem.line, problem.column) == (line, column), str(problem)
    assert fragment in problem.message


def test_nesting_is_unbounded_without_max_depth() -> None:
    document = _read("a: " + "[" * 20 + "]" * 20 + "\n", max_depth=None)
    assert isinstance(document, YamlDocument)


def test_a_nul_written_by_an_escape_is_noted() -> None:
    assert _document('a: "x\\0y"\n').holds_nul
    assert _document('"k\\x00": 1\n').holds_nul
    assert not _document("a: 'x\\0y'\nb: x\n").holds_nul
