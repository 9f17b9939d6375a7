"""The explorer on "/", the families index, the 404 page, the favicon and /docs, through the
template context (``response.context``) against their JSON twins, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.main import create_app

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def facet(page, name: str) -> dict[str, tuple[str, int, bool]]:  # type: ignore[no-untyped-def]
    (found,) = [f for f in page.context["facets"] if f["name"] == name]
    return {value: (label, n, ticked) for value, label, n, ticked in found["options"]}


def test_facets_are_alternatives_within_and_all_hold_across(client: TestClient) -> None:
    page = client.get("/", params=[("access", "api"), ("access", "both"), ("stage", "chat")])
    assert [m.slug for m in page.context["data"]] == ["demo-api"]
    api = client.get(page.context["json_url"]).json()
    assert [m["slug"] for m in api["data"]] == ["demo-api"]
    assert page.context["json_url"] == "/api/v1/models?access=api&access=both&stage=chat"
    # Each access value's count keeps the other filters (stage=chat) and drops access's own:
    # ticking open-weights as well would add the one open-weights chat model.
    assert facet(page, "access") == {
        "api": ("api", 1, True), "both": ("both", 0, True), "open-weights": ("open-weights", 1, False),
    }  # fmt: skip
    # Stage counts keep access=api|both: demo-8x1b (both) is the one base model among them.
    assert facet(page, "stage") == {"base": ("base", 1, False), "chat": ("chat", 1, True)}
    assert 'name="access" value="api" checked' in page.text


def test_the_table_names_organizations_and_families(client: TestClient) -> None:
    page = client.get("/", params={"organization": "zeta"})
    assert [m.slug for m in page.context["data"]] == ["demo-api"]
    assert "<td>Zeta Research</td>" in page.text
    assert '<a href="/families/demo">Demo</a>' in page.text
    # Facet labels are names; the values sent are slugs.
    assert facet(page, "organization") == {
        "acme": ("Acme Labs", 4, False), "zeta": ("Zeta Research", 1, True),
    }  # fmt: skip


def test_every_column_heading_sorts(client: TestClient) -> None:
    page = client.get("/", params={"sort": "context_length"})
    columns = [field for field, _ in page.context["columns"]]
    assert len(columns) == 14
    for field in columns:
        assert f'href="/?{page.context["sort_links"][field]}"' in page.text, field
        linked = client.get("/?" + page.context["sort_links"][field])
        assert linked.status_code == 200, field
    assert page.context["sort_links"]["context_length"] == "sort=-context_length"
    assert 'aria-sort="ascending"' in page.text


def test_rows_carry_compare_checkboxes_and_compare_takes_them(client: TestClient) -> None:
    page = client.get("/")
    assert page.text.count('type="checkbox" name="models"') == 5
    assert '<form id="compare" class="compare-pick" method="get" action="/compare">' in page.text
    # The form sends one models= per ticked box; /compare takes them as it takes a,b,c.
    repeated = client.get("/compare", params=[("models", "demo-7b"), ("models", "demo-8x1b")])
    assert [m.slug for m in repeated.context["result"]["models"]] == ["demo-7b", "demo-8x1b"]


def test_open_weights_and_bad_values_on_the_page(client: TestClient) -> None:
    page = client.get("/", params={"open_weights": "true"})
    assert page.context["count"] == 4 and page.context["active_filters"] == 1
    bad = client.get("/", params={"access": "sideways", "open_weights": "maybe"})
    assert bad.status_code == 422
    assert "access" in " ".join(bad.context["errors"]) and "'maybe'" in " ".join(
        bad.context["errors"]
    )


def test_families_index(client: TestClient) -> None:
    page = client.get("/families")
    assert page.status_code == 200 and page.template.name == "families.html"
    assert page.context["families"] == client.get("/api/v1/families").json()["data"]
    assert page.context["json_url"] == "/api/v1/families"
    assert '<a href="/families/demo">Demo</a>' in page.text and "<td>Acme Labs</td>" in page.text
    assert '<a href="/families" aria-current="page">Families</a>' in page.text
    family = client.get("/families/demo")
    assert "Compare these" in family.text and "By Acme Labs" in family.text
    assert family.text.count('form="compare"') == 5 and family.text.count(" checked>") == 5


def test_unknown_paths_are_a_page_for_browsers_and_json_for_clients(client: TestClient) -> None:
    page = client.get("/no/such/page", headers=BROWSER)
    assert page.status_code == 404 and page.template.name == "404.html"
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no page at /no/such/page." in page.text
    assert client.get("/no/such/page").json() == {"detail": "Not Found"}  # Accept: */*
    api = client.get("/api/v1/nothing", headers=BROWSER)
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    model = client.get("/models/ghost", headers=BROWSER)
    assert model.status_code == 404 and model.template.name == "404.html"
    wrong_method = client.post("/families", headers=BROWSER)
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.headers["content-type"]
    assert client.post("/api/v1/families").status_code == 405


def test_favicon_and_docs_assets(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO
    assert icon.headers["content-type"] == "image/x-icon"
    assert client.get("/static/favicon.svg").status_code == 200
    # Pages name it by content (registry.web.assets): /static/favicon.<digest>.svg.
    assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]{12}\.svg"', client.get("/").text)
    docs = client.get("/docs")
    assert '<script src="/docs/assets/swagger-ui-bundle.js">' in docs.text
    assert "<script>" not in docs.text  # no inline script: the CSP holds
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert '"5.' in bundle  # Swagger UI 5 reads OpenAPI 3.1; 3.x could not
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert client.get("/docs/docs.css").status_code == 200
