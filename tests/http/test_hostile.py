"""Hostile input: security headers, oversized bodies, fuzzed seed files."""

from __future__ import annotations

import asyncio
import string

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS, table_rows

from registry.http.security import MAX_BODY_BYTES, BodyLimit
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.schema import known_keys
from registry.seeds.validate import validate_tree
from registry.seeds.yamlio import Problem


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


@pytest.mark.parametrize("url", ["/api/v1/models", "/docs", "/openapi.json", "/api/v1/nowhere"])
def test_security_headers(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "http" not in page and "<script>" not in page  # no CDN, no inline script
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_declared_100_mb_body_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post(
        "/api/v1/calc/params", content=b"{}", headers={"content-length": str(100 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    """A chunked 100 MB body: the app stops reading just past the limit and answers 413."""
    chunk = b"x" * 65536
    chunks_total = 100 * 1024 * 1024 // len(chunk)
    read = 0
    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        while True:
            message = await receive()  # type: ignore[operator]
            if not message.get("more_body"):
                break

    async def receive() -> dict[str, object]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks_total}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimit(app, limit=MAX_BODY_BYTES)(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert read * len(chunk) <= MAX_BODY_BYTES + len(chunk)


def test_a_thousand_slugs_to_compare_is_refused(client: TestClient) -> None:
    response = client.get(
        "/api/v1/compare", params={"models": ",".join(f"m{i}" for i in range(1000))}
    )
    assert response.status_code == 422


def test_a_10_mb_csv_to_fit_is_refused(client: TestClient) -> None:
    body = b"params,tokens,loss\n" + b"1000000,2000000,3.5\n" * 500_000
    assert len(body) > 10_000_000
    assert (
        client.post(
            "/api/v1/calc/fit",
            params={"tokens_col": "tokens"},
            content=body,
            headers={"content-type": "text/csv"},
        ).status_code
        == 413
    )


# --- seed fuzzing -------------------------------------------------------------------------------

KEYS = sorted(known_keys())
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(string.printable, max_size=12),
    st.sampled_from(["46.7B", "1.4T", "128k", "2024-13-01", "undisclosed", "unstated", "moe"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(string.ascii_lowercase, min_size=1, max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


def _family_document(model: dict[str, object]) -> dict[str, object]:
    return {
        "family": {"slug": "demo", "name": "Demo", "organization": "acme"},
        "sources": {"paper": "https://arxiv.org/abs/2401.00001"},
        "models": [model],
    }


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(model=st.dictionaries(st.sampled_from(KEYS), values, max_size=12), raw=st.text(max_size=200))
def test_fuzzed_seed_files_give_clean_problems(
    tmp_path_factory: pytest.TempPathFactory, model: dict[str, object], raw: str
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "families").mkdir()
    (root / "organizations.yaml").write_text((MINI_SEEDS / "organizations.yaml").read_text())
    yaml = YAML()
    with (root / "families" / "demo.yaml").open("w") as handle:
        yaml.dump(_family_document(model), handle)
    (root / "families" / "raw.yaml").write_text(raw)
    tree = validate_tree(root)  # must not raise, whatever the input
    assert all(isinstance(p, Problem) and p.line >= 1 and p.column >= 1 for p in tree.problems)
    if tree.ok:
        tree_records(tree)  # a valid tree always converts


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(model=st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=10))
def test_invalid_fuzzed_seeds_never_write(
    seeded_engine: Engine, tmp_path_factory: pytest.TempPathFactory, model: dict[str, object]
) -> None:
    from typer.testing import CliRunner

    from registry.cli.app import app

    root = tmp_path_factory.mktemp("fuzzload")
    (root / "families").mkdir()
    (root / "organizations.yaml").write_text((MINI_SEEDS / "organizations.yaml").read_text())
    with (root / "families" / "demo.yaml").open("w") as handle:
        YAML().dump(_family_document(model), handle)
    tree = validate_tree(root)
    before = table_rows(seeded_engine)
    if tree.ok:
        load_records(seeded_engine, tree_records(tree))
        load_records(seeded_engine, tree_records(validate_tree(MINI_SEEDS)))
    else:
        result = CliRunner().invoke(app, ["validate", str(root)])
        assert result.exit_code == 1 and result.stdout.count("\n") == len(tree.problems)
    assert table_rows(seeded_engine) == before
