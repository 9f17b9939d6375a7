"""Drawn charts are kept by what they draw, in memory and on disk, so a restart or a seed load
that leaves a chart's numbers alone does not draw it again (registry.web.charts.render)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import pytest
from altair.utils.schemapi import validate_jsonschema
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from registry.cli.app import app as cli
from registry.config import Settings, get_settings
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import engine as db
from registry.web.charts import render
from registry.web.warmup import store_dir


@pytest.fixture(autouse=True)
def fresh_charts() -> Iterator[None]:
    """Every test starts with nothing drawn and no store, and leaves none open."""
    render.chart_cache.clear()
    render.data_cache.clear()
    render.use_store(None)
    yield
    render.use_store(None)
    render.chart_cache.clear()


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The specs vl-convert is asked to draw, in order."""
    drawn: list[dict[str, Any]] = []
    svg = render._svg

    def counting(spec: dict[str, Any]) -> Any:
        drawn.append(spec)
        return svg(spec)

    monkeypatch.setattr(render, "_svg", counting)
    return drawn


def small_chart() -> alt.Chart:
    points = alt.Chart(alt.Data(values=[{"x": 1, "y": 2}])).mark_point()
    return points.encode(x="x:Q", y="y:Q").properties(width=400, height=200)


def never() -> alt.Chart:
    raise AssertionError("drawn again")


def test_durable_charts_are_kept_on_disk(tmp_path: Path, drawings: list[Any]) -> None:
    render.use_store(tmp_path / "charts")
    first = render.render_chart(("k", {"n": 1.5}), small_chart, name="test", durable=True)
    assert len(drawings) == 2  # wide and phone
    render.chart_cache.clear()  # as in a new process
    again = render.render_chart(("k", {"n": 1.5}), never, name="test", durable=True)
    assert again == first and again.svg.startswith("<svg")
    assert len(drawings) == 2
    other = render.render_chart(("k", {"n": 2.5}), small_chart, name="test", durable=True)
    assert other.id != first.id and len(drawings) == 4


def test_charts_of_typed_inputs_stay_in_memory(tmp_path: Path, drawings: list[Any]) -> None:
    render.use_store(tmp_path / "charts")
    render.render_chart(("typed", 8e9), small_chart, name="calc")
    render.chart_cache.clear()
    render.render_chart(("typed", 8e9), small_chart, name="calc")
    assert len(drawings) == 4  # drawn twice: never written to disk
    assert len(render._store or []) == 0


def test_the_key_holds_the_program_version(monkeypatch: pytest.MonkeyPatch) -> None:
    key = render.chart_key("placement", ("a", 1))
    assert key == render.chart_key("placement", ("a", 1))
    assert key != render.chart_key("placement", ("a", 2))
    monkeypatch.setattr(render, "VERSION", "another release")
    assert key != render.chart_key("placement", ("a", 1))


def load(engine: Engine, tree: Path) -> None:
    load_records(engine, tree_records(validate_tree(tree)))


def test_a_load_that_leaves_a_model_alone_keeps_its_chart(
    engine: Engine, seed_tree: Path, drawings: list[Any]
) -> None:
    load(engine, seed_tree)
    client = TestClient(create_app(engine=engine))
    first = client.get("/models/demo-7b")
    assert first.context["chart"] is not None and len(drawings) == 2
    # Another model's numbers change: a new revision, every page answer is rebuilt...
    family = seed_tree / "families" / "demo.yaml"
    family.write_text(family.read_text().replace("training_tokens: 3T", "training_tokens: 4T"))
    load(engine, seed_tree)
    after = client.get("/models/demo-7b")
    assert after.headers["etag"] != first.headers["etag"]
    # ...but this model's chart is the one drawn before.
    assert after.context["chart"] == first.context["chart"] and len(drawings) == 2
    # Its own numbers change: drawn anew.
    family.write_text(family.read_text().replace("training_tokens: 2T", "training_tokens: 2.5T"))
    load(engine, seed_tree)
    changed = client.get("/models/demo-7b")
    assert changed.context["chart"] != first.context["chart"] and len(drawings) == 4


def test_registry_seed_draws_the_charts_of_what_it_changed(
    tmp_path: Path,
    seed_tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    drawings: list[Any],
) -> None:
    """A load that changes a model's numbers draws that model's and its family's charts into the
    servers' store, so their first views after the load draw nothing; a first load draws
    nothing (every chart would be new)."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        first = runner.invoke(cli, ["seed", str(seed_tree)])
        assert first.exit_code == 0 and "charts:" not in first.stdout and drawings == []
        family = seed_tree / "families" / "demo.yaml"
        text = family.read_text()
        family.write_text(text.replace("training_tokens: 2T", "training_tokens: 2.5T"))
        second = runner.invoke(cli, ["seed", str(seed_tree)])
        assert second.exit_code == 0, second.output
        assert (
            "~ model demo-7b" in second.stdout and "charts: 2 pages' charts ready" in second.stdout
        )
        assert len(drawings) == 4  # the model page's and the family page's, wide and phone
        render.chart_cache.clear()  # the server is another process
        settings = Settings(data_dir=tmp_path)
        with TestClient(create_app(settings, engine=db.get_engine())) as client:
            warmed = len(drawings)
            for page in ("/models/demo-7b", "/families/demo"):
                assert "<svg" in client.get(page).text
            assert len(drawings) == warmed  # served from the store, nothing drawn
            assert "<svg" in client.get("/models/demo-8x1b").text
            assert len(drawings) == warmed + 2  # a chart the load did not change: drawn on view
    finally:
        db.get_engine().dispose()
        get_settings.cache_clear()
        db.get_engine.cache_clear()


def test_a_restarted_server_finds_its_charts_drawn(
    seeded_engine: Engine, tmp_path: Path, drawings: list[Any]
) -> None:
    """The lifespan opens the store under the data directory; a new process (memory cleared)
    serves the model page and the comparison without drawing anything."""
    settings = Settings(data_dir=tmp_path)
    pages = ("/models/demo-7b", "/compare?models=demo-7b,demo-8x1b,demo-open", "/families/demo")
    with TestClient(create_app(settings, engine=seeded_engine)) as client:
        assert render._store is not None and (store_dir(settings) / "cache.db").is_file()
        for page in pages:
            assert client.get(page).status_code == 200
    assert render._store is None  # closed with the app
    drawn = len(drawings)
    assert drawn >= 8  # placement, then at least three on /compare and the family's, wide and phone
    render.chart_cache.clear()
    render.data_cache.clear()
    with TestClient(create_app(settings, engine=seeded_engine)) as client:
        for page in pages:
            assert "<svg" in client.get(page).text
    assert len(drawings) == drawn + 1  # the warm-up's own small chart, nothing else
    assert "warm" in str(drawings[-1]["layer"])


PAGES = (
    "/models/demo-7b", "/compare?models=demo-7b,demo-8x1b,demo-open", "/families/demo",
    "/scaling", "/scaling?highlight=demo-7b", "/moe", "/context", "/evaluations",
    "/calculator/place?params=8e9&tokens=1.5e13",
)  # fmt: skip


def test_every_chart_spec_is_valid_vega_lite(shared_seeded_engine: Engine) -> None:
    """Specs are built without Altair's validation (two thirds of the time): checked here."""
    client = TestClient(create_app(engine=shared_seeded_engine))
    schema = alt.load_schema()
    checked = 0
    for page in PAGES:
        context = client.get(page).context
        charts = [context.get("chart"), *[c.get("chart", c) if isinstance(c, dict) else c
                                          for c in context.get("charts", [])]]  # fmt: skip
        for chart in filter(None, charts):
            validate_jsonschema(chart.spec, schema)
            if chart.narrow_spec_json is not None:
                validate_jsonschema(render.json.loads(chart.narrow_spec_json), schema)
            checked += 1
    assert checked >= 10


def test_an_invalid_spec_fails_the_check() -> None:
    spec = render._spec(small_chart())
    validate_jsonschema(spec, alt.load_schema())
    with pytest.raises(Exception, match="nonsense"):
        validate_jsonschema({**spec, "mark": "nonsense"}, alt.load_schema())


def test_a_data_directory_the_server_cannot_write_leaves_charts_in_memory(
    seeded_engine: Engine, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with TestClient(create_app(Settings(data_dir=not_a_folder), engine=seeded_engine)) as client:
        assert render._store is None
        assert "<svg" in client.get("/models/demo-7b").text
