"""Seed trees holding things that are not seed files, alias bombs and too many models: each refused
by name, quickly, without reading what it must not (docs/RELIABILITY.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from seed_cases import DEMO, ORGS

from registry.seeds.validate import validate_tree

# --- files that are not seed files ---------------------------------------------------------------

SECRET = "s3cret-from-outside-the-tree"


def _symlink_to_dev_zero(tree: Path) -> None:
    (tree / "families" / "zero.yaml").symlink_to("/dev/zero")


def _fifo(tree: Path) -> None:
    os.mkfifo(tree / "families" / "pipe.yaml")


def _symlink_outside(tree: Path) -> None:
    outside = tree.parent / "outside.yaml"
    outside.write_text(f"family: {{slug: {SECRET}}}\n")
    (tree / "families" / "outside.yaml").symlink_to(outside)


def _oversized(tree: Path) -> None:
    text = (tree / DEMO).read_text() + "# padding\n" * 120_000
    (tree / DEMO).write_text(text)


def _folder_named_yaml(tree: Path) -> None:
    (tree / "families" / "folder.yaml").mkdir()


def _families_symlink(tree: Path) -> None:
    moved = tree.parent / "elsewhere"
    (tree / "families").rename(moved)
    (tree / "families").symlink_to(moved)


def _organizations_symlink(tree: Path) -> None:
    moved = tree.parent / "orgs.yaml"
    (tree / ORGS).rename(moved)
    (tree / ORGS).symlink_to(moved)


def _other_suffix(tree: Path) -> None:
    (tree / DEMO).rename(tree / "families" / "demo.json")


def _not_utf8(tree: Path) -> None:
    (tree / DEMO).write_bytes((tree / DEMO).read_bytes().replace(b"Demo 7B\n", b"Demo \xff7B\n"))


FILE_CASES = [
    # (id, set-up, path the problem names, message fragment)
    ("symlink-to-dev-zero", _symlink_to_dev_zero, "families/zero.yaml", "is a symbolic link"),
    ("fifo", _fifo, "families/pipe.yaml", "is not a regular file (a FIFO)"),
    ("symlink-outside", _symlink_outside, "families/outside.yaml", "is a symbolic link"),
    ("oversized", _oversized, DEMO, "a seed file may hold at most 1,048,576"),
    ("folder", _folder_named_yaml, "families/folder.yaml", "not a regular file (a folder)"),
    ("families-symlink", _families_symlink, "families", "families/ must be a folder"),
    ("organizations-symlink", _organizations_symlink, ORGS, "is a symbolic link"),
    ("other-suffix", _other_suffix, "families/demo.json", "not a seed file"),
    ("not-utf8", _not_utf8, DEMO, "the file is not UTF-8 text"),
]


@pytest.mark.parametrize(
    ("setup", "path", "fragment"),
    [case[1:] for case in FILE_CASES],
    ids=[case[0] for case in FILE_CASES],
)
def test_each_file_that_is_not_a_seed_file_is_refused_by_name(
    seed_tree: Path, setup: Callable[[Path], None], path: str, fragment: str
) -> None:
    setup(seed_tree)
    started = time.monotonic()
    tree = validate_tree(seed_tree)  # never hangs on a FIFO, never reads /dev/zero
    assert time.monotonic() - started < 10
    assert not tree.ok
    matching = [p for p in tree.problems if p.path.endswith(path) and fragment in p.message]
    assert matching, "\n".join(map(str, tree.problems))
    assert all(SECRET not in str(problem) for problem in tree.problems)


@pytest.mark.parametrize("name", ["demo.yml", "demo.YAML", "demo.Yml"])
def test_yml_and_upper_case_suffixes_are_read(seed_tree: Path, name: str) -> None:
    (seed_tree / DEMO).rename(seed_tree / "families" / name)
    tree = validate_tree(seed_tree)
    assert tree.ok, tree.problems
    assert tree.model_count == 5


def test_an_alias_bomb_is_refused_at_once_without_expanding(seed_tree: Path) -> None:
    levels = ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        levels.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    bomb = "bombs:\n" + "\n".join(levels) + "\n"
    text = (seed_tree / DEMO).read_text().replace("    license: MIT", "    license: *a9", 1)
    (seed_tree / DEMO).write_text(bomb + text)
    started = time.monotonic()
    problems = validate_tree(seed_tree).problems
    assert time.monotonic() - started < 5
    (problem,) = problems
    assert problem.line == 3 and "YAML aliases (*a0) are not allowed" in problem.message
    assert len(str(problem)) < 300


def test_a_tree_of_too_many_models_is_refused(
    seed_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registry.seeds.limits.MAX_MODELS", 4)
    problems = validate_tree(seed_tree).problems
    assert [p.message for p in problems] == [
        "the tree holds 5 models: a seed tree may hold at most 4"
    ]
