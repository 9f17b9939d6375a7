"""Hostile probe-run payloads and writers (docs/RELIABILITY.md): 422 naming the field, nothing
stored; the token is checked before the rate limit; a full disk says so."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from probe_support import sample_run
from sqlalchemy.engine import Engine
from tests_support import table_rows

from registry.config import Settings
from registry.main import create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
def client(shared_seeded_engine: Engine) -> TestClient:
    """Only refused writes go through this client: the shared database never changes. One per
    test, so that each starts with a whole write budget."""
    return TestClient(create_app(Settings(write_token=TOKEN), engine=shared_seeded_engine))


PAYLOADS = [
    # (id, raw JSON of one field, the field, message fragment)
    ("int-2^63", '"total_params": 9223372036854775808', "total_params", "out of range"),
    ("int-2^64", '"weights_bytes": 18446744073709551616', "weights_bytes", "out of range"),
    ("int-32-bit-column", '"batch": 2147483648', "batch", "holds -2,147,483,648 to"),
    ("nan", '"decode_tokens_per_s": NaN', "decode_tokens_per_s", "finite"),
    ("infinity", '"ttft_s": Infinity', "ttft_s", "finite"),
    ("minus-infinity", '"decode_tokens_per_s": -Infinity', "decode_tokens_per_s", "finite"),
    ("negative-speed", '"decode_tokens_per_s": -200.0', "decode_tokens_per_s", "zero or more"),
    ("negative-count", '"runs": -3', "runs", "zero or more"),
    ("true-as-count", '"runs": true', "runs", "expected a number; got true"),
    ("nul-in-text", '"checkpoint": "tiny\\u0000mixtral"', "checkpoint", "NUL"),
    ("nan-in-architecture", '"architecture": {"layers": NaN}', "architecture", "finite"),
    ("huge-in-architecture", '"architecture": {"layers": 1e999}', "architecture", "finite"),
]


def _with(field_json: str) -> bytes:
    """The sample run as JSON with one field's value replaced by ``field_json`` (raw JSON)."""
    name = field_json.split(":", 1)[0].strip().strip('"')
    run: dict[str, Any] = sample_run(model_slug="demo-7b")
    run.pop(name, None)
    text = json.dumps(run)
    return (text[:-1] + ", " + field_json + "}").encode()


@pytest.mark.parametrize(
    ("field_json", "field", "fragment"),
    [case[1:] for case in PAYLOADS],
    ids=[case[0] for case in PAYLOADS],
)
def test_each_hostile_value_is_a_422_naming_its_field(
    client: TestClient, shared_seeded_engine: Engine, field_json: str, field: str, fragment: str
) -> None:
    before = table_rows(shared_seeded_engine)["probe_run"]
    response = client.post("/api/v1/probe-runs", content=_with(field_json), headers=AUTH)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == [field] and fragment in problem["msg"], problem
    assert table_rows(shared_seeded_engine)["probe_run"] == before


def test_a_body_that_is_not_utf8_is_a_422(client: TestClient) -> None:
    body = json.dumps(sample_run(checkpoint="tiny")).encode().replace(b"tiny", b"t\xffny")
    response = client.post("/api/v1/probe-runs", content=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("the body is not UTF-8")


@pytest.mark.parametrize(
    "url", ["/api/v1/probe-runs?model=demo-7b", "/api/v1/models/demo-7b/probe-runs?"]
)
@pytest.mark.parametrize("offset", [2**63, 2**64, 10**30])
def test_an_offset_beyond_64_bits_is_a_422(client: TestClient, url: str, offset: int) -> None:
    sep = "&" if "?" in url and not url.endswith("?") else ""
    response = client.get(f"{url}{sep}offset={offset}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_anonymous_failures_never_lock_the_writer_out(seeded_engine: Engine) -> None:
    client = TestClient(create_app(Settings(write_token=TOKEN), engine=seeded_engine))
    anonymous = [
        client.post("/api/v1/probe-runs", json=sample_run()).status_code for _ in range(12)
    ]
    wrong = [
        client.post(
            "/api/v1/probe-runs", json=sample_run(), headers={"Authorization": "Bearer nope"}
        ).status_code
        for _ in range(8)
    ]
    assert anonymous == [401] * 12 and wrong == [403] * 8
    # the writer's budget is whole: ten writes, then 429
    written = [
        client.post(
            "/api/v1/probe-runs", content=json.dumps(sample_run()), headers=AUTH
        ).status_code
        for _ in range(11)
    ]
    assert written == [201] * 10 + [429]
    # guessing tokens has a budget of its own: the 21st refused attempt is slowed down
    guessed = client.post(
        "/api/v1/probe-runs", json=sample_run(), headers={"Authorization": "Bearer guess"}
    )
    assert guessed.status_code == 429 and "refused writes" in guessed.json()["detail"]


def _fill_the_disk(engine: Engine) -> Engine:
    """The database refuses to grow, as on a full disk: SQLite at its page limit, PostgreSQL
    raising its own disk_full error (SQLSTATE 53100) on insert."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        engine.dispose()

        def cap(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        sa.event.listen(engine, "connect", cap)
        return engine
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER disk_is_full BEFORE INSERT ON probe_run "
            "FOR EACH ROW EXECUTE FUNCTION disk_full()"
        )
    return engine


def test_a_full_disk_says_the_disk_is_full(seeded_engine: Engine) -> None:
    client = TestClient(
        create_app(Settings(write_token=TOKEN), engine=_fill_the_disk(seeded_engine))
    )
    run = sample_run(model_slug="demo-7b", notes="n" * 60_000)  # needs new pages
    response = client.post("/api/v1/probe-runs", content=json.dumps(run), headers=AUTH)
    assert response.status_code == 507, response.text
    assert "disk is full" in response.json()["detail"] and "retry" not in response.json()["detail"]
    assert client.get("/api/v1/probe-runs", params={"model": "demo-7b"}).json()["count"] == 0
