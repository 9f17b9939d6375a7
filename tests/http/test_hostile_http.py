"""Hostile HTTP, round 2 (docs/RELIABILITY.md): NUL in parameters, data errors against outages,
HEAD, and security headers on 500s."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.http.faults import database_answer
from registry.main import create_app


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


NUL_URLS = [
    # (url, the parameter's location as the 422 names it)
    ("/api/v1/models?q=a%00b", ["query", "q"]),
    ("/api/v1/models?family=%00", ["query", "family"]),
    ("/api/v1/models/demo%007b", ["path", "slug"]),
    ("/api/v1/models/demo-7b/placement?fit=%00", ["query", "fit"]),
    ("/api/v1/families/demo%00", ["path", "slug"]),
    ("/api/v1/compare?models=demo-7b,demo%00", ["query", "models"]),
    ("/api/v1/probe-runs?model=demo%00", ["query", "model"]),
    ("/api/v1/models/%00/probe-runs", ["path", "slug"]),
    ("/evaluations.json?benchmark=%00", ["query", "benchmark"]),
]


@pytest.mark.parametrize(("url", "loc"), NUL_URLS, ids=[url for url, _ in NUL_URLS])
def test_a_nul_in_any_parameter_is_a_422_naming_it(
    client: TestClient, url: str, loc: list[str]
) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text  # was 503 "unavailable" on PostgreSQL
    (problem,) = response.json()["detail"]
    assert problem["loc"] == loc and "NUL" in problem["msg"]
    assert "retry-after" not in response.headers


@pytest.mark.parametrize("url", ["/?q=%00", "/models/demo%00", "/families/%00x"])
def test_a_nul_on_a_page_is_a_422_page(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html") and "NUL" in response.text


def test_a_value_the_database_refuses_is_a_422_not_an_outage(engine: Engine) -> None:
    """Real errors from each database: a duplicate key (both), a bad cast (PostgreSQL)."""
    statements = ["INSERT INTO organization (slug, name) VALUES ('a', 'A'), ('a', 'B')"]
    if engine.dialect.name == "postgresql":
        statements.append("SELECT CAST('many' AS integer)")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as connection:
            connection.exec_driver_sql(statement)
        answer = database_answer(caught.value)
        assert answer.status == 422 and "refused a value" in answer.message, statement
        assert "Retry-After" not in answer.headers


def test_an_unreachable_database_is_still_a_503() -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    with pytest.raises(sa.exc.DBAPIError) as caught:
        engine.connect()
    answer = database_answer(caught.value)
    assert answer.status == 503 and answer.headers == {"Retry-After": "5"}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/models/demo-7b",
        "/families/demo",
        "/evaluations",
        "/scaling.json",
        "/api/v1/models",
        "/api/v1/models/demo-7b",
        "/api/v1/models.csv",
        "/api/v1/families",
        "/api/v1/probe-runs?model=demo-7b",
    ],
)
def test_head_answers_like_get_without_a_body(client: TestClient, url: str) -> None:
    get = client.get(url)
    head = client.head(url)
    assert get.status_code == head.status_code == 200, url  # was 405
    assert head.content == b""
    # The GET's headers: its length and coding as sent (compressed for this client, which
    # accepts gzip, brotli and zstd: registry.http.compression).
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers.get("content-encoding") == get.headers.get("content-encoding")
    assert head.headers["content-type"] == get.headers["content-type"]
    assert "content-security-policy" in head.headers


def test_head_of_a_missing_model_is_a_404(client: TestClient) -> None:
    assert client.head("/api/v1/models/no-such-model").status_code == 404


def test_security_headers_on_a_500(shared_seeded_engine: Engine) -> None:
    app = create_app(engine=shared_seeded_engine)
    broken = APIRouter()

    @broken.get("/api/v1/broken")
    def fail() -> Any:
        raise RuntimeError("a bug")

    app.include_router(broken)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "a bug" not in response.text
