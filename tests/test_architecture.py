"""The import rules of docs/ARCHITECTURE.md: each room imports only the rooms below it.

A room is a top-level module or sub-package of ``registry``. Every import counts, deferred ones
inside functions included, so a rule cannot be dodged by importing late.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "registry"
BASE = {"errors", "config", "resources", "models", "numbers"}
# Room -> the rooms it may import (besides itself). The table of docs/ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "resources": set(),
    "config": {"resources"},
    "models": set(),
    "numbers": {"models"},
    "calc": set(),
    "store": BASE,
    "seeds": BASE | {"calc", "store"},
    "probe": BASE | {"calc", "store"},
    "services": BASE | {"calc", "store", "seeds", "probe"},
    "http": BASE | {"store", "services"},
    "api": BASE | {"calc", "store", "probe", "services", "http"},
    "web": BASE | {"calc", "store", "probe", "services", "http"},
    "cli": BASE | {"calc", "store", "seeds", "probe", "services", "http", "web"},
    "main": BASE | {"calc", "store", "services", "http", "api", "web"},
}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "registry" and len(parts) > 1 else None


def imports_by_room() -> dict[str, set[str]]:
    """Every room and the rooms its modules import (by ``import`` or ``from ... import``)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if relative.name == "__init__" and len(relative.parts) == 2:
            continue  # registry/__init__.py
        room = _room(".".join(relative.parts))
        assert room is not None
        found[room]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = (
                    [f"registry.{alias.name}" for alias in node.names]
                    if node.module == "registry"
                    else [node.module]
                )
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found[room] |= {target for name in names if (target := _room(name)) not in (None, room)}
    return found


def test_every_room_has_a_rule() -> None:
    assert set(imports_by_room()) == set(ALLOWED)


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_a_room_imports_only_the_rooms_below_it(room: str) -> None:
    forbidden = imports_by_room()[room] - ALLOWED[room]
    assert not forbidden, f"registry/{room} imports {sorted(forbidden)}: see docs/ARCHITECTURE.md"


def test_the_rules_themselves_have_no_cycle() -> None:
    """The allowed imports form layers: no two rooms may import each other, even indirectly."""
    seen: dict[str, set[str]] = {}

    def below(room: str, path: tuple[str, ...] = ()) -> set[str]:
        assert room not in path, f"cycle: {' -> '.join((*path, room))}"
        if room not in seen:
            seen[room] = set(ALLOWED[room]).union(
                *(below(lower, (*path, room)) for lower in ALLOWED[room])
            )
        return seen[room]

    for room in ALLOWED:
        below(room)
