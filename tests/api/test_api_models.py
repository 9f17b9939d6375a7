"""The REST API's contract on the small test seeds, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests_support import table_rows

from registry.main import create_app


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def slugs(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [m["slug"] for m in response.json()["data"]]


def test_lists_models_with_public_fields_and_count(client: TestClient) -> None:
    body = client.get("/api/v1/models", params={"limit": 2}).json()
    assert body["count"] == 5
    assert [m["slug"] for m in body["data"]] == ["demo-api", "demo-8x1b"]  # newest first
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


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"architecture": "moe"}, ["demo-8x1b"]),
        ({"access": "api"}, ["demo-api"]),
        ({"openness": "open-source"}, ["demo-open"]),
        ({"stage": "chat"}, ["demo-api", "demo-7b-chat"]),
        ({"reasoning": "true"}, ["demo-api"]),
        ({"organization": "zeta"}, ["demo-api"]),
        ({"input_modality": ["text", "image"]}, ["demo-8x1b"]),  # all must hold
        ({"input_modality": "pdf"}, ["demo-api"]),
        ({"min_context": 32768}, ["demo-api", "demo-8x1b"]),
        ({"max_context": 4096}, ["demo-7b"]),
        ({"min_params": "6000000000", "max_params": 7e9}, ["demo-8x1b", "demo-7b", "demo-7b-chat"]),
        ({"max_active_params": 2e9}, ["demo-8x1b", "demo-open"]),
        (
            {"released_after": "2024-05-01", "released_before": "2024-12-31"},
            ["demo-8x1b", "demo-open"],
        ),
        ({"q": "CHAT"}, ["demo-7b-chat"]),
        ({"q": "%"}, []),  # LIKE wildcards are matched literally
        (
            {"sort": "-total_params", "architecture": "dense"},
            ["demo-7b", "demo-7b-chat", "demo-open"],
        ),
        (
            {"sort": "context_length"},
            ["demo-7b", "demo-8x1b", "demo-api", "demo-7b-chat", "demo-open"],
        ),
    ],
)
def test_filters_and_sorting(
    client: TestClient, params: dict[str, object], expected: list[str]
) -> None:
    response = client.get("/api/v1/models", params=params)
    assert slugs(response) == expected
    assert response.json()["count"] == len(expected)


def test_paging(client: TestClient) -> None:
    page = client.get("/api/v1/models", params={"limit": 2, "offset": 4}).json()
    assert page["count"] == 5
    assert [m["slug"] for m in page["data"]] == ["demo-7b-chat"]  # same date as demo-7b: by slug


@pytest.mark.parametrize(
    ("params", "parameter", "hint"),
    [
        ({"limit": 501}, "limit", "less than or equal to 500"),
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"sort": "bogus"}, "sort", "'-total_params'"),
        ({"access": "free"}, "access", "'open-weights'"),
        ({"min_context": "abc"}, "min_context", "valid integer"),
        ({"released_after": "yesterday"}, "released_after", "valid date"),
        ({"input_modality": "smell"}, "input_modality", "'image'"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(
    client: TestClient, params: dict[str, object], parameter: str, hint: str
) -> None:
    response = client.get("/api/v1/models", params=params)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["query", parameter]
    assert hint in error["msg"]


def test_model_detail(client: TestClient) -> None:
    body = client.get("/api/v1/models/demo-7b").json()
    assert body["model"]["slug"] == "demo-7b"
    assert body["children"] == [
        {"model": "demo-7b-chat", "relation": "instruction-tuned", "note": None}
    ]
    (evaluation,) = body["evaluations"]
    assert (evaluation["benchmark"], evaluation["benchmark_name"]) == ("mmlu", "MMLU")
    assert (evaluation["metric"], evaluation["shots"]) == ("accuracy", 5)
    placement = body["placement"]
    assert placement["fit"] == "epoch2024"
    assert placement["tokens_per_param"] == pytest.approx(2e12 / 6.74e9)
    assert placement["flops"] == pytest.approx(6 * 6.74e9 * 2e12)
    assert placement["overtrain_factor"] > 1
    assert body["placement_sentence"].startswith(
        "Trained on 2T tokens, 297 tokens per parameter: 15x Chinchilla's 20:1 rule"
    )
    chat = client.get("/api/v1/models/demo-7b-chat").json()
    assert chat["parents"] == [{"model": "demo-7b", "relation": "instruction-tuned", "note": None}]
    assert chat["placement"] is None  # no training tokens recorded


def test_unknown_model_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/models/no-such-model")
    assert response.status_code == 404
    assert response.json() == {"detail": "no model with slug 'no-such-model'"}


def test_placement_with_inference_demand(client: TestClient) -> None:
    body = client.get(
        "/api/v1/models/demo-7b/placement", params={"inference_tokens": 1e13, "fit": "hoffmann2022"}
    ).json()
    assert body["placement"]["fit"] == "hoffmann2022"
    assert body["placement"]["inference_optimal"]["params"] > 0
    assert client.get("/api/v1/models/demo-7b/placement", params={"fit": "nope"}).status_code == 422


def test_compare(client: TestClient) -> None:
    body = client.get("/api/v1/compare", params={"models": "demo-7b,demo-8x1b"}).json()
    assert [m["slug"] for m in body["models"]] == ["demo-7b", "demo-8x1b"]
    assert {"architecture", "total_params", "context_length"} <= set(body["differing"])
    assert "family" not in body["differing"]
    assert body["placements"]["demo-8x1b"]["active_params"] == 1.9e9


@pytest.mark.parametrize("models", ["demo-7b", "demo-7b,demo-7b", ",".join(["demo-7b"] * 9)])
def test_compare_needs_two_to_eight_models(client: TestClient, models: str) -> None:
    response = client.get("/api/v1/compare", params={"models": models})
    assert response.status_code == 422
    assert "2 to 8" in response.json()["detail"]


def test_compare_names_an_unknown_slug_and_compares_the_rest(client: TestClient) -> None:
    response = client.get("/api/v1/compare", params={"models": "demo-7b,ghost,demo-8x1b"})
    assert response.status_code == 200
    body = response.json()
    assert [m["slug"] for m in body["models"]] == ["demo-7b", "demo-8x1b"]
    assert body["unknown"] == ["ghost"] and "'ghost'" in body["warnings"][0]
    none = client.get("/api/v1/compare", params={"models": "ghost,phantom"})
    assert none.status_code == 404 and "'ghost', 'phantom'" in none.json()["detail"]


def test_compare_aligns_evaluations_by_benchmark_and_shots(client: TestClient) -> None:
    body = client.get("/api/v1/compare", params={"models": "demo-8x1b,demo-7b"}).json()
    # MMLU 5-shot accuracy and MMLU 0-shot exact match are different measurements: two rows.
    mmlu, other = body["evaluations"]
    assert (mmlu["benchmark"], mmlu["metric"], mmlu["shots"]) == ("mmlu", "accuracy", 5)
    assert (other["benchmark"], other["metric"], other["shots"]) == ("mmlu", "exact match", 0)
    assert other["scores"]["demo-8x1b"]["score"] == 38.0 and other["scores"]["demo-7b"] is None
    assert mmlu["scores"]["demo-8x1b"] is None
    assert mmlu["scores"]["demo-7b"]["score"] == 45.3
    assert mmlu["scores"]["demo-7b"]["source"] == "https://arxiv.org/abs/2401.00001"


def test_families_and_organizations(client: TestClient) -> None:
    (family,) = client.get("/api/v1/families").json()["data"]
    assert (family["slug"], family["organization"], family["models"]) == ("demo", "acme", 5)
    detail = client.get("/api/v1/families/demo").json()
    assert detail["data"][0]["slug"] == "demo-7b"  # oldest first
    assert {
        "child": "demo-7b-chat",
        "parent": "demo-7b",
        "relation": "instruction-tuned",
    } in detail["lineage"]
    assert client.get("/api/v1/families/none").status_code == 404
    orgs = {o["slug"]: o for o in client.get("/api/v1/organizations").json()["data"]}
    assert (orgs["acme"]["models"], orgs["zeta"]["models"]) == (4, 1)


def test_exports_use_the_same_filters(client: TestClient) -> None:
    csv = client.get("/api/v1/models.csv", params={"architecture": "dense"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert sorted(frame["slug"]) == ["demo-7b", "demo-7b-chat", "demo-open"]
    assert frame.set_index("slug").loc["demo-7b", "total_params"] == 6_740_000_000
    records = client.get("/api/v1/models.json", params={"input_modality": "image"}).json()
    assert [r["slug"] for r in records] == ["demo-8x1b"]
    assert records[0]["input_modalities"] == "image;text"


def test_etag_and_not_modified(client: TestClient) -> None:
    first = client.get("/api/v1/models/demo-7b")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get("/api/v1/models/demo-7b", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/models/demo-8x1b")
    assert other.headers["etag"] != etag


def test_etag_follows_the_data_revision(seeded_engine: Engine, seed_tree) -> None:  # type: ignore[no-untyped-def]
    from registry.seeds.load import load_records
    from registry.seeds.records import tree_records
    from registry.seeds.validate import validate_tree

    client = TestClient(create_app(engine=seeded_engine))
    before = client.get("/api/v1/models/demo-7b")
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(demo.read_text().replace("score: 45.3", "score: 46.0"))
    load_records(seeded_engine, tree_records(validate_tree(seed_tree)))
    after = client.get("/api/v1/models/demo-7b", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["evaluations"][0]["score"] == 46.0


@pytest.mark.parametrize(
    "hostile", ["'; DROP TABLE model; --", "1 OR 1=1", '" OR ""="', "demo%' --"]
)
def test_injection_strings_change_nothing(
    shared_seeded_engine: Engine, client: TestClient, hostile: str
) -> None:
    before = table_rows(shared_seeded_engine)
    for params in (
        {"q": hostile},
        {"family": hostile},
        {"organization": hostile},
        {"sort": hostile},
    ):
        response = client.get("/api/v1/models", params=params)
        assert response.status_code in (200, 422)
        if response.status_code == 200:
            assert response.json()["count"] == 0
    assert client.get(f"/api/v1/models/{hostile}").status_code in (404, 422)
    assert table_rows(shared_seeded_engine) == before


@pytest.mark.parametrize(
    ("human", "plain"),
    [({"min_params": "7B"}, {"min_params": 7_000_000_000}),
     ({"max_context": "128k"}, {"max_context": 128_000}),
     ({"min_context": "8Ki", "max_active_params": "2.5B"},
      {"min_context": 8192, "max_active_params": 2_500_000_000})],
)  # fmt: skip
def test_count_filters_take_numbers_as_people_write_them(
    client: TestClient, human: dict[str, str], plain: dict[str, int]
) -> None:
    written = client.get("/api/v1/models", params=human)
    assert written.status_code == 200, written.text
    assert written.json() == client.get("/api/v1/models", params=plain).json()
