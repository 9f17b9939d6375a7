"""``GET /api/v1/models`` on the seeded database."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.main import create_app


def test_lists_models_with_public_fields_and_count(seeded_engine: Engine) -> None:
    client = TestClient(create_app(engine=seeded_engine))
    response = client.get("/api/v1/models", params={"limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert len(body["data"]) == 2
    # Newest first.
    assert [m["slug"] for m in body["data"]] == ["demo-api", "demo-8x1b"]
    moe = body["data"][1]
    assert moe["architecture"] == "moe"
    assert (moe["total_params"], moe["active_params"]) == (6_900_000_000, 1_900_000_000)
    assert moe["tokens_per_param"] == 1.4e12 / 1.9e9
    assert moe["input_modalities"] == ["image", "text"]
    assert moe["release_date"] == "2024-06"
    assert moe["context_length"] == 32768
    sources = {s["field"]: s for s in moe["sources"]}
    assert sources["training_flops"]["confidence"] == "reported"
    assert sources["tokens_per_param"]["confidence"] == "derived"
    api_model = body["data"][0]
    assert set(api_model["undisclosed"]) == {"architecture", "total_params", "training_tokens"}
    assert api_model["organization"] == "zeta" and api_model["family"] == "demo"


def test_paging_and_parameter_errors(seeded_engine: Engine) -> None:
    client = TestClient(create_app(engine=seeded_engine))
    page = client.get("/api/v1/models", params={"limit": 2, "offset": 4}).json()
    assert page["count"] == 5
    assert [m["slug"] for m in page["data"]] == ["demo-7b-chat"]  # same date as demo-7b: by slug
    bad = client.get("/api/v1/models", params={"limit": 501})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "limit"]
