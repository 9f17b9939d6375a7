"""The calculator's commands: JSON answers with published numbers; bad input exits 2 in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from registry.calc import get_fit
from registry.cli import calc as cli_calc
from registry.config import get_settings

CONFIGS = Path(__file__).parent / "configs"

app = typer.Typer()
app.add_typer(cli_calc.calc_app, name="calc")
app.command("fit")(cli_calc.fit)
runner = CliRunner()


@pytest.fixture(autouse=True)
def fits_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Saved fits go to a fresh data folder, as REGISTRY_DATA_DIR says."""
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var" / "fits.json"
    get_settings.cache_clear()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_optimal_prints_the_documented_keys() -> None:
    answer = run_json("calc", "optimal", "--flops", "5.76e23")
    assert list(answer) == ["fit", "flops", "params", "tokens", "tokens_per_param", "loss"]
    assert answer["fit"] == "epoch2024" and 17 < answer["tokens_per_param"] < 20
    approach1 = run_json("calc", "optimal", "--flops", "5.76e23", "--fit", "approach1")
    assert approach1["loss"] is None
    assert approach1["params"] == pytest.approx(67e9, rel=0.03)  # Hoffmann Table 3


def test_place_chinchilla_and_llama3() -> None:
    chinchilla = run_json("calc", "place", "--params", "70e9", "--tokens", "1.4e12")
    assert chinchilla["flops"] == pytest.approx(5.88e23)
    assert chinchilla["tokens_per_param"] == 20.0
    assert chinchilla["overtrain_factor"] == pytest.approx(1.088, abs=1e-3)
    assert set(chinchilla["optimal"]) >= {"params", "tokens", "tokens_per_param"}
    llama = run_json(
        "calc", "place", "--params", "8.03e9", "--tokens", "15e12", "--inference-tokens", "1e14"
    )
    assert llama["overtrain_factor"] == pytest.approx(102.2, abs=0.1)
    assert llama["break_even_inference_tokens"] == pytest.approx(1.895e14, rel=1e-3)
    assert llama["inference_optimal"]["params"] > 8.03e9  # 1e14 is below the break-even demand
    gpt3 = run_json("calc", "place", "--params", "175e9", "--tokens", "300e9")
    assert gpt3["break_even_inference_tokens"] is None and gpt3["overtrain_factor"] < 0.1


def test_inference_optimal_both_target_forms_and_the_cost_form() -> None:
    by_loss = run_json("calc", "inference-optimal", "--loss", "2.0", "--inference-tokens", "1e13")
    assert set(by_loss) >= {"params", "tokens", "flops_train", "flops_inference", "flops_total"}
    assert set(by_loss["vs_chinchilla"]) >= {"params_ratio", "tokens_ratio", "flops_ratio"}
    assert by_loss["vs_chinchilla"]["params_ratio"] < 1 < by_loss["vs_chinchilla"]["tokens_ratio"]
    by_model = run_json(
        "calc",
        "inference-optimal",
        "--params",
        "7e9",
        "--tokens",
        "2e12",
        "--inference-tokens",
        "0",
    )
    assert by_model["vs_chinchilla"]["params_ratio"] == pytest.approx(1.0)
    costed = run_json(
        "calc",
        "inference-optimal",
        "--loss",
        "2.0",
        "--training-price",
        "2",
        "--training-peak-flops",
        "989e12",
        "--training-mfu",
        "0.5",
        "--inference-price",
        "2",
        "--inference-peak-flops",
        "989e12",
        "--input-mfu",
        "0.5",
        "--output-mfu",
        "0.5",
        "--input-tokens",
        "500",
        "--output-tokens",
        "500",
        "--requests",
        "1e10",
    )
    assert costed["params"] == pytest.approx(by_loss["params"], rel=1e-9)  # same 1e13 tokens
    assert costed["cost"]["total_dollars"] > 0


def test_params_and_memory_from_a_config() -> None:
    counted = run_json("calc", "params", str(CONFIGS / "mixtral-8x7b.json"))
    assert counted["total"] == 46_702_792_704 and counted["active"] == pytest.approx(
        12.9e9, rel=2e-3
    )
    assert counted["experts"] == 8 and counted["experts_per_token"] == 2
    v3 = run_json("calc", "params", str(CONFIGS / "deepseek-v3.json"), "--include-mtp")
    assert (
        v3["total"] == pytest.approx(684.5e9, rel=1e-3)
        and "MTP modules included" in v3["convention"]
    )
    memory = run_json(
        "calc",
        "memory",
        str(CONFIGS / "llama-2-7b.json"),
        "--context",
        "4096",
        "--batch",
        "2",
        "--gpu",
        "h100",
    )
    assert memory["weights_bytes"] == 2 * 6_738_415_616
    assert memory["kv_cache_bytes"] == 524288 * 4096 * 2
    # Two sequences per step: 2 x 3.35 TB/s / (13.5 GB of weights + 2 x 2.1 GB of KV cache).
    assert memory["decode_ceiling_tokens_per_s"] == pytest.approx(
        2 * 3.35e12 / (2 * 6_738_415_616 + 2 * 524288 * 4096)
    )
    assert memory["prefill_ceiling_tokens_per_s"] == pytest.approx(
        989e12 / memory["flops_per_token"]
    )


def test_fit_saves_a_law_that_every_fit_option_can_use(tmp_path: Path, fits_file: Path) -> None:
    law = get_fit("hoffmann2022")
    params = np.repeat(np.logspace(7, 9, 6), 5)
    tokens = params * np.tile(np.logspace(0.5, 2.5, 5), 6)
    csv = tmp_path / "runs.csv"
    flops = 6 * params * tokens
    lines = ["n,c,final_loss"] + [
        f"{n},{c},{law.loss(params=n, tokens=c / (6 * n))}"
        for n, c in zip(params, flops, strict=True)
    ]
    csv.write_text("\n".join(lines) + "\n")
    answer = run_json(
        "fit",
        str(csv),
        "--params-col",
        "n",
        "--flops-col",
        "c",
        "--loss-col",
        "final_loss",
        "--save",
        "mine",
        "--predict-params",
        "70e9",
        "--predict-tokens",
        "1.4e12",
    )
    for name in ("E", "A", "B", "alpha", "beta"):
        assert answer[name] == pytest.approx(getattr(law, name), rel=1e-4), name
    assert set(answer) >= {"a", "b", "G"} and answer["G"] == pytest.approx(law.G, rel=1e-4)
    assert answer["prediction"]["loss"] == pytest.approx(
        law.loss(params=70e9, tokens=1.4e12), rel=1e-6
    )
    assert json.loads(fits_file.read_text())["mine"]["alpha"] == pytest.approx(0.34, rel=1e-5)
    mine = run_json("calc", "place", "--params", "70e9", "--tokens", "1.4e12", "--fit", "mine")
    builtin = run_json(
        "calc", "place", "--params", "70e9", "--tokens", "1.4e12", "--fit", "hoffmann2022"
    )
    assert mine["fit"] == "mine" and mine["loss"] == pytest.approx(builtin["loss"], rel=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calc", "optimal", "--flops", "-5"], "--flops: Input should be greater than or equal to 1"),
        (
            ["calc", "place", "--params", "7e9", "--tokens", "1e12", "--fit", "nope"],
            "unknown fit 'nope'",
        ),
        (
            ["calc", "inference-optimal", "--loss", "1.5", "--inference-tokens", "1e12"],
            "target loss 1.5 is at or below the floor",
        ),
        (["calc", "inference-optimal", "--loss", "2.0"], "give --inference-tokens"),
        (
            ["calc", "inference-optimal", "--loss", "2.0", "--requests", "1e9"],
            "the cost form also needs --training-price",
        ),
        (["calc", "params", "missing.json"], "missing.json"),
        (
            ["fit", "missing.csv", "--params-col", "n", "--tokens-col", "d", "--loss-col", "l"],
            "missing.csv",
        ),
        (["calc", "memory", str(CONFIGS / "gpt2.json"), "--dtype", "fp12"], "unknown dtype 'fp12'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_unknown_config_and_csv_columns_are_named(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "rwkv"}))
    result = runner.invoke(app, ["calc", "params", str(config)])
    assert result.exit_code == 2 and "unsupported model_type 'rwkv'" in result.stderr
    csv = tmp_path / "runs.csv"
    csv.write_text("N,D,L\n1e8,1e9,3.0\n")
    result = runner.invoke(
        app, ["fit", str(csv), "--params-col", "N", "--tokens-col", "tokens", "--loss-col", "L"]
    )
    assert (
        result.exit_code == 2 and "no column 'tokens'; columns are 'N', 'D', 'L'" in result.stderr
    )


def test_readable_output_is_a_table() -> None:
    result = runner.invoke(app, ["calc", "place", "--params", "70e9", "--tokens", "1.4e12"])
    assert result.exit_code == 0
    assert "× the compute-optimal tokens per parameter" in result.stdout
    assert "1.09×" in result.stdout and "5.88 × 10^23 FLOPs" in result.stdout
    assert not result.stdout.lstrip().startswith("{")
