"""Static files under content-hashed names with a year's lifetime; plain names with a short one
(registry.web.assets)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.main import create_app
from registry.resources import STATIC_DIR
from registry.web.assets import IMMUTABLE, SHORT, HashedStaticFiles

LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def digest(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


@pytest.mark.parametrize(
    ("page", "names"),
    [
        ("/", ["favicon.svg", "css/site.css", "css/compare.css", "js/explorer.js"]),
        ("/compare?models=demo-7b,demo-8x1b", ["js/charts.js", "js/picker.js"]),
    ],
)
def test_pages_link_static_files_by_content(
    client: TestClient, page: str, names: list[str]
) -> None:
    linked = LINKED.findall(client.get(page).text)
    for name in names:
        stem, suffix = name.rsplit(".", 1)
        assert f"/static/{stem}.{digest(name)}.{suffix}" in linked, name
    assert not [url for url in linked if not re.search(r"\.[0-9a-f]{12}\.\w+$", url)], linked


def test_a_hashed_name_is_the_file_kept_for_a_year(client: TestClient) -> None:
    response = client.get(f"/static/css/site.{digest('css/site.css')}.css")
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / "css/site.css").read_bytes()
    assert response.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/css")
    head = client.head(f"/static/js/charts.{digest('js/charts.js')}.js")
    assert head.status_code == 200 and head.headers["cache-control"] == IMMUTABLE


def test_a_plain_name_still_answers_with_a_short_lifetime(client: TestClient) -> None:
    response = client.get("/static/js/charts.js")
    assert response.status_code == 200 and "vegaEmbed" in response.text
    assert response.headers["cache-control"] == SHORT
    assert "immutable" not in response.headers["cache-control"]


def test_an_outdated_digest_gets_the_current_file_briefly(client: TestClient) -> None:
    """A page of an older release names an older digest: it gets today's file, not for a year."""
    response = client.get("/static/css/site.0123456789ab.css")
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / "css/site.css").read_bytes()
    assert response.headers["cache-control"] == SHORT


def test_unknown_files_are_404(client: TestClient) -> None:
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get(f"/static/css/nothing.{digest('css/site.css')}.css").status_code == 404
    assert client.get("/static/../registry/main.py").status_code == 404


def test_the_digest_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body { color: red }")
    first = HashedStaticFiles(tmp_path).url("a.css")
    (tmp_path / "a.css").write_text("body { color: blue }")
    second = HashedStaticFiles(tmp_path).url("a.css")
    assert re.fullmatch(r"/static/a\.[0-9a-f]{12}\.css", first)
    assert first != second
