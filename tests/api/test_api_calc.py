"""The calculator over HTTP answers what the CLI answers, and refuses absurd input with a 422."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from registry.cli.app import app as cli
from registry.main import create_app

CONFIGS = Path(__file__).parents[1] / "calc" / "configs"


@pytest.fixture(scope="module")
def client(shared_seeded_engine: Engine) -> TestClient:
    return TestClient(create_app(engine=shared_seeded_engine))


def cli_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("url", "command"),
    [
        ("/api/v1/calc/optimal?flops=5.76e23", ["calc", "optimal", "--flops", "5.76e23"]),
        (
            "/api/v1/calc/optimal?flops=5.76e23&fit=approach1",
            ["calc", "optimal", "--flops", "5.76e23", "--fit", "approach1"],
        ),
        (
            "/api/v1/calc/place?params=70e9&tokens=1.4e12",
            ["calc", "place", "--params", "70e9", "--tokens", "1.4e12"],
        ),
        (
            "/api/v1/calc/place?params=46.7e9&active_params=12.9e9&tokens=8e12&inference_tokens=1e13",
            [
                "calc",
                "place",
                "--params",
                "46.7e9",
                "--active-params",
                "12.9e9",
                "--tokens",
                "8e12",
                "--inference-tokens",
                "1e13",
            ],
        ),
        (
            "/api/v1/calc/inference-optimal?params=8e9&tokens=2e11&inference_tokens=1e13",
            [
                "calc",
                "inference-optimal",
                "--params",
                "8e9",
                "--tokens",
                "2e11",
                "--inference-tokens",
                "1e13",
            ],
        ),
    ],
)
def test_http_and_cli_agree(client: TestClient, url: str, command: list[str]) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.json() == cli_json(*command)


def test_chinchilla_budget_gives_its_own_size(client: TestClient) -> None:
    # Hoffmann et al. 2022 Table 3 (Approach 1): 5.76e23 FLOPs -> 67B parameters, 1.5T tokens.
    body = client.get("/api/v1/calc/optimal", params={"flops": 5.76e23, "fit": "approach1"}).json()
    assert body["params"] == pytest.approx(67e9, rel=0.03)
    assert body["tokens"] == pytest.approx(1.5e12, rel=0.06)
    assert body["loss"] is None


def test_params_of_a_posted_config(client: TestClient) -> None:
    config = json.loads((CONFIGS / "mixtral-8x7b.json").read_text())
    body = client.post("/api/v1/calc/params", json=config).json()
    assert body["total"] == pytest.approx(46.7e9, rel=0.002)
    assert body["active"] == pytest.approx(12.9e9, rel=0.005)
    assert body["experts"] == 8 and body["experts_per_token"] == 2


def test_memory_of_a_seeded_model(client: TestClient) -> None:
    body = client.get("/api/v1/calc/memory", params={"model": "demo-7b", "context": 4096}).json()
    # 6.74B parameters in bf16; KV cache 2 x 32 layers x 32 heads x 128 x 2 bytes per token.
    assert body["weights_bytes"] == pytest.approx(2 * 6.74e9, rel=0.01)
    assert body["kv_cache_bytes_per_token"] == 2 * 32 * 32 * 128 * 2
    assert body["kv_cache_bytes"] == 4096 * body["kv_cache_bytes_per_token"]


def test_fit_recovers_known_constants_from_posted_runs(client: TestClient) -> None:
    e, a, b, alpha, beta = 1.8, 400.0, 1500.0, 0.34, 0.36
    rows = [
        {"params": n, "tokens": d, "loss": e + a / n**alpha + b / d**beta}
        for n in (1e8, 3e8, 1e9, 3e9, 1e10)
        for d in (2e9, 1e10, 5e10, 2e11)
    ]
    body = client.post("/api/v1/calc/fit", params={"tokens_col": "tokens"}, json=rows).json()
    assert body["E"] == pytest.approx(e, rel=0.02)
    assert body["alpha"] == pytest.approx(alpha, rel=0.05)
    assert body["beta"] == pytest.approx(beta, rel=0.05)
    csv = "params,tokens,loss\n" + "".join(
        f"{r['params']},{r['tokens']},{r['loss']}\n" for r in rows
    )
    from_csv = client.post(
        "/api/v1/calc/fit",
        params={"tokens_col": "tokens"},
        content=csv,
        headers={"content-type": "text/csv"},
    ).json()
    assert from_csv["E"] == pytest.approx(body["E"], rel=1e-6)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "0", "-5", "abc"])
def test_absurd_numbers_are_422_naming_the_parameter(client: TestClient, value: str) -> None:
    for url in (
        f"/api/v1/calc/optimal?flops={value}",
        f"/api/v1/calc/place?params={value}&tokens=1e12",
        # Zero inference demand is meaningful (the inference-optimal model is then the
        # compute-optimal one), so the demand is checked with a negative value instead.
        f"/api/v1/calc/inference-optimal?loss=2.5&inference_tokens={'-1' if value == '0' else value}",
    ):
        response = client.get(url)
        assert response.status_code == 422, (url, response.text)
        (error,) = response.json()["detail"]
        assert error["loc"][0] == "query" and error["loc"][1] in url


def test_loss_below_the_floor_is_explained(client: TestClient) -> None:
    response = client.get(
        "/api/v1/calc/inference-optimal", params={"loss": 1.5, "inference_tokens": 1e12}
    )
    assert response.status_code == 422
    assert "floor E = 1.8172" in response.json()["detail"]


def test_oversized_and_malformed_bodies(client: TestClient) -> None:
    big = "params,tokens,loss\n" + "1,1,1\n" * 2_000_000  # ~12 MB
    response = client.post("/api/v1/calc/fit", params={"tokens_col": "tokens"}, content=big)
    assert response.status_code == 413
    assert client.post("/api/v1/calc/params", content=b"not json").status_code == 422
    assert client.post("/api/v1/calc/params", json=[1, 2]).status_code == 422
    missing = client.post(
        "/api/v1/calc/fit", params={"tokens_col": "tokens"}, content="a,b\n1,2\n"
    ).json()["detail"]
    assert "no column 'params'" in missing and "columns are 'a', 'b'" in missing
