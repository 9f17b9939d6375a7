"""registry.calc stays pure: no database, web, HTTP, CLI or other registry modules (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CALC_DIR = Path(__file__).resolve().parents[2] / "registry" / "calc"
FORBIDDEN = {
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "starlette",
    "httpx",
    "jinja2",
    "typer",
    "rich",
    "alembic",
    "uvicorn",
    "pydantic",
    "pydantic_settings",
    "requests",
    "psycopg",
}


def imported_modules(path: Path) -> list[str]:
    """Every module an ``import`` or ``from ... import`` statement in ``path`` names."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("registry.calc." + (node.module or ""))
            elif node.module:
                names.append(node.module)
    return names


CALC_FILES = sorted(CALC_DIR.glob("*.py"))


def test_calc_package_has_modules() -> None:
    assert {path.name for path in CALC_FILES} >= {"__init__.py", "laws.py", "fitting.py"}


@pytest.mark.parametrize("path", CALC_FILES, ids=lambda path: path.name)
def test_calc_module_imports_nothing_impure(path: Path) -> None:
    bad = [
        name
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
        or (name.startswith("registry") and not name.startswith("registry.calc"))
    ]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", CALC_FILES, ids=lambda path: path.name)
def test_calc_module_is_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400


def test_purity_check_catches_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from sqlalchemy import select\nimport registry.store.engine\n", encoding="utf-8"
    )
    assert imported_modules(bad) == ["sqlalchemy", "registry.store.engine"]
