"""Snapshots (export and download) and badges, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS

from registry.main import create_app
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.services import snapshot
from registry.store.engine import session_scope

SVG = "{http://www.w3.org/2000/svg}"
REVISION = tree_records(validate_tree(MINI_SEEDS)).revision()


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def test_snapshot_sqlite_carries_the_revision_and_every_table(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.get("/api/v1/snapshot.sqlite")
    assert response.status_code == 200
    assert REVISION in response.headers["etag"]
    assert f'filename="registry-{REVISION}.sqlite"' in response.headers["content-disposition"]
    path = tmp_path / "snapshot.sqlite"
    path.write_bytes(response.content)
    with sqlite3.connect(path) as connection:
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert tables == set(snapshot.COLUMNS)
        assert connection.execute("SELECT revision, models FROM revision").fetchall() == [
            (REVISION, 5)
        ]
        tokens, active, ratio = connection.execute(
            "SELECT training_tokens, active_params, tokens_per_param FROM models WHERE slug='demo-7b'"
        ).fetchone()
        assert (tokens, active) == (2_000_000_000_000, 6_740_000_000)  # whole numbers stay whole
        assert ratio == pytest.approx(2e12 / 6.74e9)
        assert connection.execute("SELECT count(*) FROM lineage").fetchone() == (1,)
        sources = connection.execute(
            "SELECT url, confidence FROM sources WHERE model='demo-8x1b' AND field='training_tokens'"
        ).fetchone()
        assert sources == ("https://arxiv.org/abs/2401.00001", "reported")


def test_snapshot_json_matches_the_api_and_is_built_once_per_revision(
    client: TestClient, shared_seeded_engine: Engine
) -> None:
    body = client.get("/api/v1/snapshot.json").json()
    assert body["revision"]["revision"] == REVISION
    models = {m["slug"]: m for m in body["tables"]["models"]}
    api = client.get("/api/v1/models", params={"limit": 500}).json()["data"]
    assert set(models) == {m["slug"] for m in api}
    for model in api:
        for field in (
            "total_params",
            "active_params",
            "training_tokens",
            "context_length",
            "tokens_per_param",
        ):
            assert models[model["slug"]][field] == model[field], (model["slug"], field)
    with session_scope(shared_seeded_engine) as session:
        builds = snapshot.builds
        first = snapshot.download(session, "json")
        second = snapshot.download(session, "json")
        assert first == second and first[0] == REVISION
        assert snapshot.builds == builds  # built by the request above, kept since


@pytest.mark.parametrize("fmt", ["sqlite", "csv", "json", "parquet"])
def test_export_writes_one_table_per_entity_with_the_revision(
    shared_seeded_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    with session_scope(shared_seeded_engine) as session:
        written = snapshot.export(session, fmt, tmp_path / fmt)  # type: ignore[arg-type]
    if fmt == "sqlite":
        (path,) = written
        assert path.name == f"registry-{REVISION}.sqlite"
        with sqlite3.connect(path) as connection:
            models = pd.read_sql("SELECT * FROM models", connection)
            revision = pd.read_sql("SELECT * FROM revision", connection)
    elif fmt == "json":
        (path,) = written
        document = json.loads(path.read_text())
        models = pd.DataFrame(document["tables"]["models"])
        revision = pd.DataFrame(document["tables"]["revision"])
    else:
        assert {p.name for p in written} == {f"{name}.{fmt}" for name in snapshot.COLUMNS}
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        models = read(tmp_path / fmt / f"models.{fmt}")
        revision = read(tmp_path / fmt / f"revision.{fmt}")
    assert revision["revision"].tolist() == [REVISION]
    assert sorted(models["slug"]) == [
        "demo-7b",
        "demo-7b-chat",
        "demo-8x1b",
        "demo-api",
        "demo-open",
    ]
    row = models.set_index("slug").loc["demo-8x1b"]
    assert int(row["total_params"]) == 6_900_000_000 and int(row["context_length"]) == 32768


def badge(client: TestClient, url: str) -> tuple[int, ET.Element, str]:
    response = client.get(url)
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    return response.status_code, root, root.findtext(f"{SVG}title") or ""


def test_badges_are_valid_svg_with_the_models_numbers(client: TestClient) -> None:
    status, root, title = badge(client, "/badges/demo-7b.svg")
    assert status == 200 and root.tag == f"{SVG}svg"
    assert int(root.get("height")) == 20 and int(root.get("width")) > 0
    ratio = 2e12 / 6.74e9  # tokens / parameters from the seeds
    assert title == f"tokens/param: {ratio:,.0f} | {ratio / 20:,.0f}× Chinchilla"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["tokens/param", f"{ratio:,.0f} | {ratio / 20:,.0f}× Chinchilla"]
    assert (
        badge(client, "/badges/demo-8x1b.svg?field=context_length")[2] == "context: 32,768 tokens"
    )
    assert (
        badge(client, "/badges/demo-8x1b.svg?field=total_params")[2]
        == "parameters: 6.9B (1.9B active)"
    )
    placement = client.get("/api/v1/models/demo-7b/placement").json()["placement"]
    expected = (
        f"placement: ×{placement['overtrain_factor']:,.1f} compute-optimal ({placement['fit']})"
    )
    assert badge(client, "/badges/demo-7b.svg?field=placement")[2] == expected
    assert badge(client, "/badges/demo-api.svg?field=total_params")[2] == "parameters: undisclosed"
    missing = badge(client, "/badges/no-such-model.svg")
    assert missing[0] == 404 and "no model no-such-model" in missing[2]
    wrong = client.get("/badges/demo-7b.svg?field=price")
    assert wrong.status_code == 422 and "field" in wrong.text


def test_badges_are_cached_by_revision(client: TestClient) -> None:
    first = client.get("/badges/demo-7b.svg")
    assert REVISION in first.headers["etag"]
    again = client.get("/badges/demo-7b.svg", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
