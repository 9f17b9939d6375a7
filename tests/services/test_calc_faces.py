"""Every calculator tool answers the same through its three faces: the API, the page and the CLI.

Each face parses the same input model and calls the same service function, so for one input the
JSON of ``/api/v1/calc/<tool>``, the result on ``/calculator/<tool>`` and ``registry calc <tool>
--json`` must be equal; human numbers (15T, 8.03B, 128k) must give the plain numbers' answer; a
fit saved with ``registry fit --save`` must work on every face; bad input is refused by each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests_support import MINI_SEEDS
from typer.testing import CliRunner

from registry.calc import get_fit
from registry.cli.app import app as cli
from registry.config import get_settings
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine, get_engine

CONFIGS = Path(__file__).parents[1] / "calc" / "configs"
runner = CliRunner()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app on a seeded SQLite database that the CLI's settings point at too."""
    folder = tmp_path_factory.mktemp("faces")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGISTRY_DATABASE_URL", url)
        patch.setenv("REGISTRY_DATA_DIR", str(folder))
        get_settings.cache_clear()
        engine = create_db_engine(url)
        migrate.upgrade(engine)
        load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
        yield TestClient(create_app(engine=engine))
        engine.dispose()
    get_settings.cache_clear()


def cli_json(*args: str) -> dict[str, object]:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def options(values: dict[str, str]) -> list[str]:
    return [
        part for name, value in values.items() for part in ("--" + name.replace("_", "-"), value)
    ]


TOOLS = [
    ("optimal", {"flops": "5.76e23"}),
    ("optimal", {"flops": "5.76e23", "fit": "hoffmann2022"}),
    ("place", {"params": "8.03B", "tokens": "15T", "inference_tokens": "10T"}),
    ("place", {"params": "46.7B", "tokens": "8T", "active_params": "12.9B"}),
    ("inference-optimal", {"params": "8.03B", "tokens": "15T", "inference_tokens": "1e13"}),
    ("inference-optimal", {"loss": "2.1", "inference_tokens": "0"}),
    ("memory", {"model": "demo-7b", "context": "128k", "batch": "4", "gpu": "h100"}),
]


@pytest.fixture
def cli_database(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings point at the app's database for this test (other tests may have
    cached settings of their own)."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", str(client.app.state.engine.url))  # type: ignore[attr-defined]
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.mark.parametrize(("tool", "values"), TOOLS)
def test_each_tool_answers_the_same_on_every_face(
    client: TestClient, cli_database: None, tool: str, values: dict[str, str]
) -> None:
    api = client.get(f"/api/v1/calc/{tool}", params=values)
    assert api.status_code == 200, api.text
    page = client.get(f"/calculator/{tool}", params=values)
    assert page.status_code == 200, page.context["errors"]
    command = cli_json("calc", tool, *options(values))
    assert api.json() == page.context["result"] == command


def test_human_numbers_give_the_plain_numbers_answer(client: TestClient) -> None:
    human = client.get("/api/v1/calc/place", params={"params": "8.03B", "tokens": "15T"}).json()
    plain = client.get("/api/v1/calc/place", params={"params": 8.03e9, "tokens": 1.5e13}).json()
    assert human == plain
    assert human["tokens_per_param"] == pytest.approx(1.5e13 / 8.03e9)
    memory = client.get("/api/v1/calc/memory", params={"model": "demo-7b", "context": "128Ki"})
    assert memory.json()["context_tokens"] == 131_072


def test_params_and_fit_answer_the_same_through_api_and_cli(
    client: TestClient, tmp_path: Path
) -> None:
    config = CONFIGS / "mixtral-8x7b.json"
    api = client.post("/api/v1/calc/params", content=config.read_bytes()).json()
    assert api == cli_json("calc", "params", str(config))
    assert api["total"] == 46_702_792_704 and api["active"] == 12_879_925_248

    runs = synthetic_runs(tmp_path / "runs.csv")
    api_fit = client.post(
        "/api/v1/calc/fit", content=runs.read_bytes(), headers={"content-type": "text/csv"}
    ).json()
    cli_fit = cli_json("fit", str(runs))
    page = client.post("/fit", files={"runs": ("runs.csv", runs.read_bytes(), "text/csv")})
    assert page.status_code == 200, page.context["errors"]
    for name in ("E", "A", "B", "alpha", "beta"):
        assert api_fit[name] == pytest.approx(cli_fit[name], rel=1e-9)
        assert page.context["fit"]["result"][name] == pytest.approx(api_fit[name], rel=1e-9)


def test_a_saved_fit_works_on_the_page_as_in_the_api(client: TestClient, tmp_path: Path) -> None:
    runs = synthetic_runs(tmp_path / "runs.csv")
    saved = cli_json("fit", str(runs), "--save", "my-runs")
    assert Path(str(saved["saved_to"])).exists()
    values = {"flops": "1e22", "fit": "my-runs"}
    api = client.get("/api/v1/calc/optimal", params=values)
    page = client.get("/calculator/optimal", params=values)
    assert api.status_code == 200 and page.status_code == 200, page.context["errors"]
    assert api.json() == page.context["result"] == cli_json("calc", "optimal", *options(values))
    assert api.json()["fit"] == "my-runs"
    assert "my-runs" in client.get("/calculator").context["fits"]


@pytest.mark.parametrize(
    ("tool", "values", "field"),
    [
        ("optimal", {"flops": "-5"}, "flops"),
        ("place", {"params": "8B", "tokens": "lots"}, "tokens"),
        ("memory", {"model": "demo-7b", "context": "0"}, "context"),
        ("optimal", {"flops": "1e22", "fit": "nope"}, "fit"),
    ],
)
def test_bad_input_is_refused_on_every_face(
    client: TestClient, tool: str, values: dict[str, str], field: str
) -> None:
    api = client.get(f"/api/v1/calc/{tool}", params=values)
    page = client.get(f"/calculator/{tool}", params=values)
    command = runner.invoke(cli, ["calc", tool, *options(values)])
    assert api.status_code == page.status_code == 422
    assert command.exit_code == 2 and command.stderr.startswith("error: ")
    assert field in api.text and field in " ".join(page.context["errors"])
    assert field in command.stderr


def synthetic_runs(path: Path) -> Path:
    """Runs drawn from the epoch2024 law with 1% noise (a fit recovers it)."""
    law = get_fit("epoch2024")
    rng = np.random.default_rng(7)
    params = np.repeat([2e7, 6e7, 2e8, 6e8, 2e9], 5)
    tokens = np.tile([4e8, 1.2e9, 4e9, 1.2e10, 4e10], 5)
    loss = np.asarray(law.loss(params=params, tokens=tokens)) * np.exp(rng.normal(0, 0.01, 25))
    pd.DataFrame({"params": params, "tokens": tokens, "loss": loss}).to_csv(path, index=False)
    return path
