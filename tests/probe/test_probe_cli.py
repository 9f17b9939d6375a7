"""``registry probe``: end to end on CPU into the local database or a server; clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi.testclient import TestClient
from probe_support import add_model
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

import registry.probe.push
import registry.store.engine
from registry.cli.app import app
from registry.config import Settings
from registry.main import create_app
from registry.probe import latest_probe_run, measured_vs_claimed
from registry.probe.store import get_model

FAST = [
    "--device",
    "cpu",
    "--prompt-tokens",
    "12",
    "--new-tokens",
    "4",
    "--warmup",
    "1",
    "--runs",
    "3",
]
METRICS = (
    "total_params",
    "active_params",
    "load_s",
    "weights_bytes",
    "peak_memory_bytes",
    "ttft_s",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "tpot_s",
    "perplexity",
    "bits_per_byte",
)


@pytest.fixture
def local_db(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The CLI's database is the seeded test database, holding a model for the tiny Mixtral."""
    add_model(
        seeded_engine,
        slug="tiny-mixtral",
        total_params=260_400,
        active_params=162_100,
        experts=4,
        experts_per_token=2,
        layers=2,
        hidden_size=64,
        vocab_size=300,
    )
    monkeypatch.setattr(registry.store.engine, "get_engine", lambda: seeded_engine)
    return seeded_engine


def _json(output: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(output)
    return data


def test_probe_records_locally_and_prints_json(
    torch: ModuleType, checkpoints: dict[str, Path], local_db: Engine
) -> None:
    result = CliRunner().invoke(
        app, ["probe", str(checkpoints["mixtral"]), "--model", "tiny-mixtral", "--json", *FAST]
    )
    assert result.exit_code == 0, result.output
    data = _json(result.stdout)
    for name in METRICS:
        assert isinstance(data[name], int | float) and data[name] > 0, name
    claims = data["claims"]
    assert isinstance(claims, dict) and claims["matches"] is True
    assert {c["field"] for c in claims["checks"]} >= {"total_params", "active_params", "layers"}
    with Session(local_db) as session:
        run = latest_probe_run(session, "tiny-mixtral")
        assert run is not None and run.id == data["id"] and run.total_params == 260_416
        comparison = measured_vs_claimed(run, get_model(session, slug="tiny-mixtral"))
    assert comparison.summary == (
        "measured 260.42K total / 162.11K active against claimed 260.4K / 162.1K"
    )


def test_probe_pushes_to_a_server_with_a_token(
    torch: ModuleType,
    checkpoints: dict[str, Path],
    local_db: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = TestClient(create_app(Settings(write_token="tok"), engine=local_db))

    def handle(request: httpx.Request) -> httpx.Response:
        answer = server.request(
            request.method, str(request.url), headers=dict(request.headers), content=request.content
        )
        # The test client has already decoded a compressed body: pass it on as plain bytes.
        headers = {
            k: v for k, v in answer.headers.items() if k not in ("content-encoding", "content-length")
        }
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)

    real_client = registry.probe.push._client
    monkeypatch.setattr(
        registry.probe.push,
        "_client",
        lambda url, token, _: real_client(url, token, httpx.MockTransport(handle)),
    )
    args = ["probe", str(checkpoints["llama"]), "--push", "http://testserver", "--json", *FAST]
    wrong = CliRunner().invoke(app, [*args, "--token", "nope"])
    assert wrong.exit_code == 2 and "refused the run (403)" in wrong.stderr
    pushed = CliRunner().invoke(app, [*args, "--token", "tok", "--model", "tiny-mixtral"])
    assert pushed.exit_code == 0, pushed.output
    data = _json(pushed.stdout)
    assert data["model_slug"] == "tiny-mixtral" and data["model_type"] == "llama"
    assert isinstance(data["claims"], dict) and data["claims"]["matches"] is False


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "model directory '{d}/nowhere' does not exist"),
        ("no-config", "'{d}' has no config.json"),
        ("unknown-arch", "cannot count '{d}': unsupported model_type 'mystery'"),
        ("no-token", "--push needs --token"),
        ("bad-text", "cannot read --text '{d}/missing.txt'"),
    ],
)
def test_errors_are_one_line_without_a_traceback(tmp_path: Path, case: str, message: str) -> None:
    target = tmp_path / "nowhere" if case == "missing" else tmp_path
    if case in ("unknown-arch", "no-token", "bad-text"):
        (tmp_path / "config.json").write_text(
            json.dumps(
                {"model_type": "mystery"}
                if case == "unknown-arch"
                else {
                    "model_type": "llama",
                    "vocab_size": 8,
                    "hidden_size": 8,
                    "intermediate_size": 8,
                    "num_hidden_layers": 1,
                    "num_attention_heads": 1,
                }
            )
        )
    extra = {
        "no-token": ["--push", "http://x"],
        "bad-text": ["--text", str(tmp_path / "missing.txt"), "--no-record"],
    }
    result = CliRunner(env={"REGISTRY_WRITE_TOKEN": None}).invoke(
        app, ["probe", str(target), *extra.get(case, ["--no-record"])]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message.format(d=tmp_path)}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_unknown_model_slug_and_absent_cuda(
    torch: ModuleType, checkpoints: dict[str, Path], local_db: Engine
) -> None:
    unknown = CliRunner().invoke(app, ["probe", str(checkpoints["llama"]), "--model", "nope"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: no model 'nope' in the registry")
    if torch.cuda.is_available():
        return
    cuda = CliRunner().invoke(app, ["probe", str(checkpoints["llama"]), "--device", "cuda"])
    assert cuda.exit_code == 2 and "torch sees no CUDA device" in cuda.stderr
    assert "Traceback" not in cuda.output
