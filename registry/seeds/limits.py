"""Bounds on what a seed tree may hold: seeds arrive in pull requests and are read as hostile.

- Files: only regular files inside the tree are read (checked with ``lstat`` before opening, and
  again on the open descriptor), at most ``MAX_FILE_BYTES`` each; symlinks, FIFOs and devices are
  refused by name, never opened or followed.
- YAML: aliases are refused (an alias bomb expands an 800-byte file to gigabytes), as are explicit
  tags (``!!omap``, ``!!python/...``), merge and duplicate keys, and nesting deeper than
  ``MAX_DEPTH``: ``registry.seeds.yamlio`` refuses each at the parser event that holds it.
- Values: no NUL characters in any text (PostgreSQL cannot store them), and every number within
  the range of the database column it loads into (``registry.models.bounds``).
- Loads: a load that would remove more than ``MASS_REMOVAL_SHARE`` of the models, or all of them,
  is refused unless explicitly allowed.

docs/RELIABILITY.md lists each case with the test that shows it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from registry.errors import RegistryError
from registry.models import Evaluation, Model
from registry.models.bounds import column_range, out_of_range
from registry.seeds.rules import url_problem
from registry.seeds.schema import NUMERIC_CLAIM_FIELDS, FamilyFile, OrganizationsFile
from registry.seeds.yamlio import Problem, YamlDocument

MAX_FILE_BYTES = 1024 * 1024  # the largest seed file today is under 50 KB
MAX_DEPTH = 16  # a family file nests six levels deep
MAX_MODELS = 5000  # in a whole tree (the project holds under 200)
MASS_REMOVAL_SHARE = 0.2
SEED_SUFFIXES = (".yaml", ".yml")


# --- files ---------------------------------------------------------------------------------------


def is_seed_name(path: Path) -> bool:
    return path.suffix.lower() in SEED_SUFFIXES


def read_regular_file(path: Path, root: Path) -> bytes | str:
    """The bytes of ``path``, or why it is refused: it must be a regular file (not a symlink, FIFO
    or device) inside ``root``, of at most ``MAX_FILE_BYTES``. Never blocks on a FIFO."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"cannot read the file: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link: seed files must be regular files in the seed tree"
    if not stat.S_ISREG(info.st_mode):
        return f"is not a regular file ({_kind(info.st_mode)}): seed files must be regular files"
    if not path.resolve().is_relative_to(root.resolve()):
        return "lies outside the seed tree"
    if info.st_size > MAX_FILE_BYTES:
        return f"is {info.st_size:,} bytes: a seed file may hold at most {MAX_FILE_BYTES:,}"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror}"
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the lstat
            return "is not a regular file: seed files must be regular files"
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return f"holds more than {MAX_FILE_BYTES:,} bytes: the limit of a seed file"
    return data


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


# --- values --------------------------------------------------------------------------------------


def nul_problems(document: YamlDocument) -> list[Problem]:
    """Every text (key or value) holding a NUL character: PostgreSQL cannot store one."""
    if not document.holds_nul:  # noted by the parser: no need to walk every value
        return []
    return [
        document.problem(loc, "text may not hold NUL characters (\\0)")
        for loc in _nul_locations(document.data, ())
    ]


def _nul_locations(node: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, str):
        if "\x00" in node:
            yield loc
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and "\x00" in key:
                yield loc
            yield from _nul_locations(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nul_locations(value, (*loc, index))


def family_problems(document: YamlDocument, content: FamilyFile) -> list[Problem]:
    """The bounds of one family file: its url is http(s), its numbers fit their columns."""
    found = range_problems(document, content)
    if content.family.url is not None and (message := url_problem(content.family.url, "a url")):
        found.append(document.problem(("family", "url"), message))
    return found


def organization_problems(document: YamlDocument, content: OrganizationsFile) -> list[Problem]:
    """Every organisation url is http(s): the pages show it as a link."""
    return [
        document.problem(("organizations", index, "url"), message)
        for index, organization in enumerate(content.organizations)
        if organization.url is not None and (message := url_problem(organization.url, "a url"))
    ]


def range_problems(document: YamlDocument, content: FamilyFile) -> list[Problem]:
    """Every number of the file that its database column cannot hold (``registry.models.bounds``):
    the validator enforces the same bounds as the database, on SQLite and PostgreSQL alike."""
    found: list[Problem] = []
    columns = Model.__table__.c
    evaluation_columns = Evaluation.__table__.c
    bounds = _bounds()
    for index, model in enumerate(content.models):
        values: list[tuple[Sequence[str | int], str, Any]] = []
        for name in NUMERIC_CLAIM_FIELDS:
            claim = getattr(model, name)
            if claim is not None:
                values.append(((name,), name, claim.value))
        if model.arch is not None:
            for name, value in model.arch:
                if name in columns:
                    values.append((("arch", name), name, value))
            for number, layer in enumerate(model.arch.mlp_only_layers):
                if not 0 <= layer < model.arch.layers:
                    found.append(
                        document.problem(
                            ("models", index, "arch", "mlp_only_layers", number),
                            f"a layer index from 0 to {model.arch.layers - 1}; got {layer}",
                        )
                    )
        for loc, name, value in values:
            if _fits(bounds[name], value):
                continue
            if (message := out_of_range(columns[name], value)) is not None:
                found.append(document.problem(("models", index, *loc), message))
        for number, evaluation in enumerate(model.evaluations):
            for name in ("shots", "score"):
                value = getattr(evaluation, name)
                if _fits(bounds[f"evaluation.{name}"], value):
                    continue
                if (message := out_of_range(evaluation_columns[name], value)) is not None:
                    loc = ("models", index, "evaluations", number, name)
                    found.append(document.problem(loc, message))
    return found


@cache
def _bounds() -> dict[str, tuple[float, float] | None]:
    """Each model column's range, and the evaluation's shots and score, read once."""
    found = {column.name: column_range(column) for column in Model.__table__.columns}
    for name in ("shots", "score"):
        found[f"evaluation.{name}"] = column_range(Evaluation.__table__.c[name])
    return found


def _fits(bounds: tuple[float, float] | None, value: Any) -> bool:
    """Whether ``value`` is a plain number inside ``bounds``: the common case, decided without
    ``out_of_range`` (which explains every other case)."""
    kind = type(value)
    return bounds is not None and (kind is int or kind is float) and bounds[0] <= value <= bounds[1]


# --- loads ---------------------------------------------------------------------------------------


class MassRemoval(RegistryError):
    """A load would remove too many models; ``removed`` lists them."""

    status_code = 409

    def __init__(self, removed: list[str], current: int) -> None:
        share = len(removed) / current
        what = "every model" if len(removed) == current else f"{share:.0%} of the models"
        super().__init__(
            f"this load would remove {len(removed)} of {current} models ({what}; the limit is "
            f"{MASS_REMOVAL_SHARE:.0%}): nothing was loaded. Check that no family file is "
            "missing; if the removal is meant, run `registry seed --allow-mass-removal`"
        )
        self.removed = removed


def check_mass_removal(removed: Sequence[str], current: int) -> None:
    """Raise ``MassRemoval`` when removing ``removed`` of ``current`` models is a mass removal."""
    if removed and (len(removed) == current or len(removed) > MASS_REMOVAL_SHARE * current):
        raise MassRemoval(sorted(removed), current)
