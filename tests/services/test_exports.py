"""CSV and JSON exports: column order, integers, FLOPs, one source column per field, and
formula-like cells defused (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.services import exports
from registry.store import queries
from registry.store.filters import ModelFilters


@pytest.fixture(scope="module")
def models(shared_seeded_engine: Engine) -> list:  # type: ignore[type-arg]
    with Session(shared_seeded_engine) as session:
        return queries.list_models(session, filters=ModelFilters(sort="slug"))[0]


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def test_csv_leads_with_slug_and_name_and_writes_numbers_as_written(models: list) -> None:  # type: ignore[type-arg]
    data = exports.to_csv(models)
    header = data.decode().splitlines()[0].split(",")
    assert header[:4] == ["slug", "name", "family", "organization"]
    by_slug = {row["slug"]: row for row in rows(data)}
    demo = by_slug["demo-7b"]
    assert demo["name"] == "Demo 7B"
    assert demo["total_params"] == "6740000000"  # an integer, not 6740000000.0
    assert demo["context_length"] == "4096"
    model = next(m for m in models if m.slug == "demo-7b")
    assert demo["training_flops"] == f"{model.training_flops:.12g}"
    assert "e+" in demo["training_flops"] and len(demo["training_flops"]) < 12
    assert float(demo["training_flops"]) == pytest.approx(model.training_flops)
    assert by_slug["demo-api"]["total_params"] == ""  # undisclosed: blank, not NaN


def test_csv_has_one_source_column_per_sourced_field(models: list) -> None:  # type: ignore[type-arg]
    by_slug = {row["slug"]: row for row in rows(exports.to_csv(models))}
    model = next(m for m in models if m.slug == "demo-8x1b")
    sourced = {s.field: s.url for s in model.sources if s.url}
    assert sourced, "the test seeds source demo-8x1b's fields"
    for field, url in sourced.items():
        assert by_slug["demo-8x1b"][f"source_{field}"] == url
    header = list(by_slug["demo-8x1b"])
    assert "sources" not in header
    assert all(";" not in by_slug["demo-8x1b"][c] for c in header if c.startswith("source_"))


@pytest.mark.parametrize(
    "hostile", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
)
def test_formula_like_cells_are_defused(models: list, hostile: str) -> None:  # type: ignore[type-arg]
    model = models[0].model_copy(update={"name": hostile, "license": hostile, "notes": "plain"})
    (row,) = rows(exports.to_csv([model]))
    assert row["name"] == "'" + hostile and row["license"] == "'" + hostile
    assert row["notes"] == "plain"
    assert row["slug"] == model.slug


def test_json_export_keeps_integers(models: list) -> None:  # type: ignore[type-arg]
    import json

    records = {r["slug"]: r for r in json.loads(exports.to_json(models))}
    assert records["demo-7b"]["total_params"] == 6_740_000_000
    assert records["demo-api"]["total_params"] is None
