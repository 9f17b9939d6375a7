"""``POST /api/v1/probe-runs`` (token, size and rate limits) and the push client (httpx)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from probe_support import add_model, sample_run
from sqlalchemy.engine import Engine

from registry.config import Settings
from registry.errors import NotFound
from registry.http.ratelimit import TokenBucket
from registry.main import create_app
from registry.models import ProbeRunCreate
from registry.probe.errors import PushError
from registry.probe.push import check_model, push_run

TOKEN = "s3cret-token"
URL = "http://testserver"


def _client(engine: Engine, token: str | None = TOKEN) -> TestClient:
    return TestClient(create_app(Settings(write_token=token), engine=engine))


def _via(client: TestClient) -> httpx.MockTransport:
    """An httpx transport that hands the push client's requests to the test server."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = client.request(
            request.method, str(request.url), headers=dict(request.headers), content=request.content
        )
        # The test client has already decoded a compressed body: pass it on as plain bytes.
        headers = {
            k: v for k, v in answer.headers.items() if k not in ("content-encoding", "content-length")
        }
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)

    return httpx.MockTransport(handle)


def _post(client: TestClient, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(
        "/api/v1/probe-runs",
        content=json.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def test_push_with_the_right_token_records_and_compares(seeded_engine: Engine) -> None:
    add_model(
        seeded_engine,
        slug="tiny-mixtral",
        total_params=260_000,
        active_params=150_000,
        experts=4,
        experts_per_token=2,
        layers=2,
        context_length=256,
    )
    client = _client(seeded_engine)
    run = ProbeRunCreate.model_validate(sample_run(model_slug="tiny-mixtral"))
    check_model(URL, "tiny-mixtral", transport=_via(client))
    recorded = push_run(run, url=URL, token=TOKEN, transport=_via(client))
    assert recorded.id is not None and recorded.total_params == 260_416
    claims = recorded.claims
    assert claims is not None and claims["model"] == "tiny-mixtral" and claims["tolerance"] == 0.01
    checks = {c["field"]: c for c in claims["checks"]}
    assert checks["total_params"]["matches"] and checks["experts"]["matches"]
    assert not checks["active_params"]["matches"]  # 162,112 against 150,000: 8 % over
    assert checks["active_params"]["difference"] == pytest.approx(0.08075, abs=1e-5)
    assert claims["matches"] is False
    assert (
        claims["summary"] == "measured 260.42K total / 162.11K active against claimed 260K / 150K"
    )
    listed = client.get("/api/v1/probe-runs", params={"model": "tiny-mixtral"}).json()
    assert listed["count"] == 1 and listed["data"][0]["decode_tokens_per_s"] == 200.0
    by_model = client.get("/api/v1/models/tiny-mixtral/probe-runs").json()
    assert by_model["data"][0]["id"] == recorded.id


def test_a_wrong_token_is_forbidden(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    run = ProbeRunCreate.model_validate(sample_run())
    with pytest.raises(PushError, match=r"refused the run \(403\): the bearer token is not"):
        push_run(run, url=URL, token="wrong", transport=_via(client))
    assert client.get("/api/v1/probe-runs", params={"model": "demo-7b"}).json()["count"] == 0


def test_no_token_is_unauthorised(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    response = _post(client, sample_run())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _post(client, sample_run(), {"Authorization": "Basic abc"}).status_code == 401
    run = ProbeRunCreate.model_validate(sample_run())
    with pytest.raises(PushError, match="wants a write token: pass --token"):
        push_run(run, url=URL, token="", transport=_via(client))


def test_a_server_without_a_token_refuses_every_write(seeded_engine: Engine) -> None:
    client = _client(seeded_engine, token=None)
    response = _post(client, sample_run(), {"Authorization": "Bearer anything"})
    assert response.status_code == 403
    assert "no REGISTRY_WRITE_TOKEN" in response.json()["detail"]


def test_unknown_model_bad_body_and_size_limit(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    missing = _post(client, sample_run(model_slug="no-such-model"), auth)
    assert missing.status_code == 404 and "'no-such-model'" in missing.json()["detail"]
    with pytest.raises(NotFound, match="no-such-model"):
        check_model(URL, "no-such-model", transport=_via(client))
    bad = _post(client, sample_run(total_params="many"), auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["total_params"]
    huge = _post(client, sample_run(notes="x" * 70_000), auth)
    assert huge.status_code == 413
    unknown = client.get("/api/v1/models/no-such-model/probe-runs")
    assert unknown.status_code == 404 and "'no-such-model'" in unknown.json()["detail"]


def test_writes_are_rate_limited_per_client(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    statuses = [_post(client, sample_run(), auth).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    limited = _post(client, sample_run(), auth)
    assert int(limited.headers["retry-after"]) > 0


def test_token_bucket_refills_with_time() -> None:
    now = [0.0]
    bucket = TokenBucket(capacity=2, refill_per_s=0.5, clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [None, None]
    assert bucket.take("a") == pytest.approx(2.0)
    assert bucket.take("b") is None  # another client has its own bucket
    now[0] = 2.0
    assert bucket.take("a") is None


def test_a_pushed_run_shows_on_the_model_page_and_in_its_json(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    before = client.get("/api/v1/models/demo-8x1b")
    assert before.json()["probe"] is None
    # No run, no probe section (how to run the probe lives in docs/PROBE.md).
    assert 'class="probe"' not in client.get("/models/demo-8x1b").text
    run = sample_run(
        model_slug="demo-8x1b",
        total_params=6_903_000_000,
        active_params=1_899_000_000,
        experts=8,
        experts_per_token=2,
    )
    assert _post(client, run, {"Authorization": f"Bearer {TOKEN}"}).status_code == 201
    # The run changes the data revision: the cached answer and its ETag are not reused.
    after = client.get(
        "/api/v1/models/demo-8x1b", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    comparison = after.json()["probe_comparison"]
    assert (
        comparison["summary"] == "measured 6.90B total / 1.90B active against claimed 6.9B / 1.9B"
    )
    assert comparison["matches"] is True
    page = client.get("/models/demo-8x1b").text
    assert "measured 6.90B total / 1.90B active against claimed 6.9B / 1.9B" in page


def test_the_model_page_shows_memory_predicted_beside_measured(seeded_engine: Engine) -> None:
    client = _client(seeded_engine)
    run = sample_run(
        model_slug="demo-8x1b",
        quantization="gptq 4-bit g128",
        bits_per_weight=4.25,
        runtime="transformers 5",
        predicted_weights_bytes=1_041_664,
        predicted_kv_cache_bytes=22_528,
        kv_cache_bytes=21_504,
    )
    posted = _post(client, run, {"Authorization": f"Bearer {TOKEN}"})
    assert posted.status_code == 201
    assert posted.json()["kv_cache_bytes"] == 21_504
    page = client.get("/models/demo-8x1b").text
    assert "Memory, predicted by the calculator against measured (gptq 4-bit g128, 4.25 bits" in page
    # Bytes as a person reads them (22,528 bytes predicted, 21,504 measured).
    assert "<td>KV cache (1 × 22 tokens)</td><td class=\"num\">22.5 kB</td><td class=\"num\">21.5 kB</td>" in page
    assert "<td class=\"num\">1.1 MB</td><td class=\"num\">0.4 GB</td>" in page
