"""Validating a seed tree: every file against the schema, then the rules that span fields and files.

All problems are collected and reported at once, each with its file, line, column and field path.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from registry.numbers import quote
from registry.seeds import limits
from registry.seeds.benchmarks import (
    BENCHMARKS_FILE,
    Vocabulary,
    evaluation_problems,
    vocabulary_problems,
)
from registry.seeds.rules import model_problems, tree_problems
from registry.seeds.schema import (
    DERIVED_FIELDS,
    BenchmarksFile,
    FamilyFile,
    OrganizationsFile,
    known_keys,
)
from registry.seeds.tree import LocatedFamily, SeedTree
from registry.seeds.yamlio import Problem, YamlDocument, parse_yaml

ORGANIZATIONS_FILE = "organizations.yaml"
FAMILIES_DIR = "families"


def display_path(path: Path) -> str:
    """The path relative to the working directory where that is shorter, for messages."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def find_root(path: Path) -> Path:
    """The seed tree holding ``path``: the folder itself, or the one above a file that holds one."""
    path = path.resolve()
    candidates = [path, *path.parents] if path.is_file() else [path]
    for candidate in candidates:
        if candidate.is_dir() and (candidate / ORGANIZATIONS_FILE).exists():
            return candidate
    return path


def seed_files(root: Path) -> Iterator[Path]:
    """Every entry of ``families/``: seed files (``.yaml`` or ``.yml``, any case) and anything
    else, which ``validate_tree`` refuses by name rather than skipping it silently."""
    families = root / FAMILIES_DIR
    if families.is_dir() and not families.is_symlink():
        yield from sorted(families.iterdir())


def validate_tree(path: Path) -> SeedTree:
    """Validate the seed tree at ``path`` and return it with every problem found."""
    root = find_root(path)
    tree = SeedTree(root=root)
    if not root.is_dir():
        tree.problems.append(Problem(display_path(root), 1, 1, "(tree)", "no such seed folder"))
        return tree
    organizations = root / ORGANIZATIONS_FILE
    if (root / FAMILIES_DIR).is_symlink():
        tree.problems.append(
            Problem(
                display_path(root / FAMILIES_DIR),
                1,
                1,
                "(tree)",
                "is a symbolic link: families/ must be a folder of the seed tree",
            )
        )
    if not organizations.exists() and not organizations.is_symlink():
        tree.problems.append(
            Problem(display_path(organizations), 1, 1, "(tree)", "missing organizations file")
        )
    else:
        parsed = _parse(organizations, root, OrganizationsFile, tree.problems)
        if parsed:
            tree.organizations.append(parsed)
            tree.problems.extend(limits.organization_problems(*parsed))
    benchmarks = root / BENCHMARKS_FILE
    if benchmarks.exists() or benchmarks.is_symlink():
        parsed_benchmarks = _parse(benchmarks, root, BenchmarksFile, tree.problems)
        if parsed_benchmarks:
            tree.benchmarks = parsed_benchmarks[1]
            tree.problems.extend(vocabulary_problems(*parsed_benchmarks))
    vocabulary = Vocabulary.of(tree.benchmarks)
    for file in seed_files(root):
        if not limits.is_seed_name(file):
            message = "not a seed file: families/ holds only .yaml or .yml files; move it"
            tree.problems.append(Problem(display_path(file), 1, 1, "(tree)", message))
            continue
        parsed_family = _parse(file, root, FamilyFile, tree.problems)
        if parsed_family:
            document, content = parsed_family
            tree.families.append(LocatedFamily(document, content))
            _check_file_name(file, document, content, tree.problems)
            tree.problems.extend(limits.family_problems(document, content))
            for index, model in enumerate(content.models):
                tree.problems.extend(model_problems(document, content, index, model))
            tree.problems.extend(evaluation_problems(document, content, vocabulary))
    if tree.model_count > limits.MAX_MODELS:
        tree.problems.append(
            Problem(
                display_path(root),
                1,
                1,
                "(tree)",
                f"the tree holds {tree.model_count:,} "
                f"models: a seed tree may hold at most {limits.MAX_MODELS:,}",
            )
        )
    if not tree.problems:
        tree.problems.extend(tree_problems(tree.organizations, tree.families))
    tree.problems.sort()
    return tree


def _parse(
    file: Path, root: Path, schema: Any, problems: list[Problem]
) -> tuple[YamlDocument, Any] | None:
    data = limits.read_regular_file(file, root)
    if isinstance(data, str):
        problems.append(Problem(display_path(file), 1, 1, "(file)", data))
        return None
    document = parse_yaml(data, display_path(file), max_depth=limits.MAX_DEPTH)
    if isinstance(document, Problem):
        problems.append(document)
        return None
    if nul := limits.nul_problems(document):
        problems.extend(nul)
        return None
    try:
        return document, schema.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(document, exc))
        return None


def _pydantic_problems(document: YamlDocument, exc: ValidationError) -> list[Problem]:
    found = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if loc and loc[-1] == "value" and not document.holds(loc):
            loc = loc[:-1]  # a plain value, shorthand for {value: ...}
        found.append(document.problem(loc, _message(error, loc)))
    return found


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    kind, message = error["type"], str(error["msg"])
    message = message.removeprefix("Value error, ")
    key = loc[-1] if loc else None
    if kind == "extra_forbidden":
        if key in DERIVED_FIELDS:
            return f"{key!r} is {DERIVED_FIELDS[key]}, never typed in; remove it"
        hint = difflib.get_close_matches(str(key), known_keys(), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown key {key!r}{suggestion}"
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return message
    return f"{message}; got {quote(error.get('input'))}"


def _check_file_name(
    file: Path, document: YamlDocument, content: FamilyFile, problems: list[Problem]
) -> None:
    if file.stem != content.family.slug:
        problems.append(
            document.problem(
                ("family", "slug"),
                f"the family {content.family.slug!r} must live in families/"
                f"{content.family.slug}.yaml, not {file.name!r}",
            )
        )
