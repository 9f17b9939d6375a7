"""The model list as an explorer: repeatable filters, open_weights, facets and forgiving search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

SEEDS = Path(__file__).parents[2] / "seeds"


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def listed(client: TestClient, params: object) -> tuple[list[str], dict]:  # type: ignore[type-arg]
    response = client.get("/api/v1/models", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    body = response.json()
    return [m["slug"] for m in body["data"]], body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Repeated values of one filter are alternatives; the last one no longer wins.
        ([("access", "api"), ("access", "both")], {"demo-api", "demo-8x1b"}),
        (
            [("stage", "chat"), ("stage", "base")],
            {"demo-7b", "demo-7b-chat", "demo-8x1b", "demo-open", "demo-api"},
        ),
        # ... and different filters must all hold.
        ([("access", "api"), ("access", "both"), ("architecture", "moe")], {"demo-8x1b"}),
        ([("openness", "open-source"), ("openness", "closed"), ("stage", "chat")], {"demo-api"}),
        (
            [("family", "demo"), ("organization", "zeta"), ("organization", "acme")],
            {"demo-7b", "demo-7b-chat", "demo-8x1b", "demo-open", "demo-api"},
        ),
        # open_weights: weights to download, whether or not an API serves the model too.
        ({"open_weights": "true"}, {"demo-7b", "demo-7b-chat", "demo-8x1b", "demo-open"}),
        ({"open_weights": "false"}, {"demo-api"}),
        ({"open_weights": "true", "min_context": 32768}, {"demo-8x1b"}),
    ],
)
def test_repeatable_filters_or_within_and_across(
    client: TestClient, params: object, expected: set[str]
) -> None:
    found, body = listed(client, params)
    assert set(found) == expected and body["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("demo7b", ["demo-7b", "demo-7b-chat"]),
        ("DEMO-7B", ["demo-7b", "demo-7b-chat"]),
        ("demo.open", ["demo-open"]),
        ("8 x 1", ["demo-8x1b"]),
        ("7b chat", ["demo-7b-chat"]),
        ("%", []),  # LIKE wildcards are matched literally
        ("-", ["demo-7b", "demo-7b-chat", "demo-8x1b", "demo-api", "demo-open"]),  # ignored: all
    ],
)
def test_search_ignores_case_spaces_dashes_and_dots(
    client: TestClient, query: str, expected: list[str]
) -> None:
    found, _ = listed(client, {"q": query, "sort": "slug"})
    assert found == expected


def test_search_ranks_the_exact_name_first(client: TestClient) -> None:
    # By name descending "Demo 7B Chat" comes before "Demo 7B"; the exact match still leads.
    assert listed(client, {"q": "demo 7b", "sort": "-name"})[0] == ["demo-7b", "demo-7b-chat"]
    assert listed(client, {"q": "demo 7b chat", "sort": "name"})[0] == ["demo-7b-chat"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "organization",
            ["demo-7b", "demo-7b-chat", "demo-8x1b", "demo-open", "demo-api"],
        ),  # Acme, then Zeta
        ("-organization", ["demo-api", "demo-7b", "demo-7b-chat", "demo-8x1b", "demo-open"]),
        ("access", ["demo-api", "demo-8x1b", "demo-7b", "demo-7b-chat", "demo-open"]),
        ("openness", ["demo-api", "demo-open", "demo-7b", "demo-7b-chat", "demo-8x1b"]),
        (
            "-architecture",
            ["demo-8x1b", "demo-7b", "demo-7b-chat", "demo-open", "demo-api"],
        ),  # unknown last
        ("stage", ["demo-7b", "demo-8x1b", "demo-open", "demo-7b-chat", "demo-api"]),
        ("family", ["demo-7b", "demo-7b-chat", "demo-8x1b", "demo-api", "demo-open"]),
    ],
)
def test_every_column_sorts(client: TestClient, sort: str, expected: list[str]) -> None:
    assert listed(client, {"sort": sort})[0] == expected


def test_facets_count_the_matching_models_and_sum_to_the_count(client: TestClient) -> None:
    _, body = listed(client, [("facet", "access"), ("facet", "architecture"), ("facet", "family"),
                              ("facet", "organization"), ("facet", "stage"), ("facet", "openness"),
                              ("facet", "input_modality"), ("limit", 1)])  # fmt: skip
    facets = body["facets"]
    assert facets["access"] == {"open-weights": 3, "api": 1, "both": 1}
    assert facets["architecture"] == {"dense": 3, "moe": 1, "unknown": 1}  # demo-api undisclosed
    assert facets["organization"] == {"acme": 4, "zeta": 1}
    assert facets["family"] == {"demo": 5}
    assert facets["stage"] == {"base": 3, "chat": 2}
    for name in ("access", "architecture", "organization", "family", "stage", "openness"):
        assert sum(facets[name].values()) == body["count"] == 5, name
    # A model counts under each of its modalities.
    assert facets["input_modality"]["text"] == 5 and facets["input_modality"]["image"] == 1
    # Over the same filtered set as the list.
    _, narrowed = listed(client, {"open_weights": "true", "facet": "access"})
    assert narrowed["facets"] == {"access": {"open-weights": 3, "both": 1}}
    assert sum(narrowed["facets"]["access"].values()) == narrowed["count"]
    _, plain = listed(client, {})
    assert "facets" not in plain


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"facet": "colour"}, "facet"),
        ({"open_weights": "maybe"}, "open_weights"),
        ([("access", "api"), ("access", "free")], "access"),
        ({"sort": "-notes"}, "sort"),
    ],
)
def test_bad_explorer_parameters_are_named(
    client: TestClient, params: object, parameter: str
) -> None:
    response = client.get("/api/v1/models", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert [e["loc"][1] for e in response.json()["detail"]] == [parameter]


@pytest.fixture(scope="module")
def real_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on the project's own seeds (SQLite): the searches people actually type."""
    engine = create_db_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(SEEDS)))
    yield TestClient(create_app(engine=engine))
    engine.dispose()


@pytest.mark.parametrize(
    ("query", "first", "included"),
    [
        ("llama3", None, {"llama-3-8b", "llama-3-70b", "llama-3.1-405b"}),
        ("gpt4", "gpt-4", {"gpt-4", "gpt-4o", "gpt-4.1"}),
        ("gpt-4", "gpt-4", {"gpt-4-turbo"}),
        ("qwen 3", None, {"qwen3-8b", "qwen3-235b-a22b"}),
        ("deepseek v3", "deepseek-v3", {"deepseek-v3-base"}),
    ],
)
def test_searches_people_type_on_the_real_seeds(
    real_client: TestClient, query: str, first: str | None, included: set[str]
) -> None:
    found, _ = listed(real_client, {"q": query, "limit": 500})
    assert included <= set(found)
    if first:
        assert found[0] == first


def test_open_weights_long_context_largest_first_on_the_real_seeds(real_client: TestClient) -> None:
    params = {"open_weights": "true", "min_context": 128_000, "sort": "-total_params", "limit": 500}
    found, body = listed(real_client, params)
    # access "both" models were left out when access took one value (issue 12).
    assert {"deepseek-v3", "deepseek-r1", "qwen3-235b-a22b", "mistral-large-2"} <= set(found)
    sizes = [m["total_params"] for m in body["data"] if m["total_params"] is not None]
    assert sizes == sorted(sizes, reverse=True)
    assert {m["access"] for m in body["data"]} == {"open-weights", "both"}


def test_modality_facets_under_a_modality_filter(client: TestClient) -> None:
    # The facet's join and the filter's EXISTS subquery on the same table must not merge.
    _, body = listed(client, [("input_modality", "image"), ("facet", "input_modality")])
    assert body["count"] == 1
    assert body["facets"]["input_modality"] == {"image": 1, "text": 1}
