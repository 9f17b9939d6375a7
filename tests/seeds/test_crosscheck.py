"""``registry crosscheck`` on a small catalogue in LiteLLM's format (no package needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from registry.cli.app import app
from registry.seeds.crosscheck import base_name, crosscheck, read_catalogue
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree

DATA = Path(__file__).parents[1] / "data"
CATALOGUE = DATA / "litellm_catalogue.json"


def report():  # type: ignore[no-untyped-def]
    models = tree_records(validate_tree(DATA / "mini_seeds")).models
    return crosscheck(models, read_catalogue(CATALOGUE))


def test_names_lose_provider_prefix_and_snapshot_date() -> None:
    assert base_name("anthropic/claude-3-opus-20240229") == ("claude-3-opus", "2024-02-29")
    assert base_name("gpt-4o-2024-05-13") == ("gpt-4o", "2024-05-13")
    assert base_name("vertex_ai/claude-3-sonnet@20240229") == ("claude-3-sonnet", "2024-02-29")
    assert base_name("claude-3.5-sonnet")[0] == base_name("claude-3-5-sonnet")[0]


def test_agreements_disagreements_and_conventions() -> None:
    found = report()
    assert found.matched == {"demo-8x1b": "mistral/demo-8x1b", "demo-api": "demo-api"}
    assert found.agreements["context_length"] == 1  # demo-api: 200000 on both sides
    assert found.agreements["input_modalities"] == 1  # demo-8x1b takes images on both
    assert sorted(found.disagreements) == [
        ("demo-api", "input_modalities", "image no", "image yes", "demo-api"),
        ("demo-api", "max_output_tokens", 8192, 4096, "demo-api"),
    ]
    explained = {(slug, field): why for slug, field, _, _, _, why in found.explained}
    assert "leaves out the output tokens" in explained[("demo-8x1b", "context_length")]
    assert "13 days before the announcement" in explained[("demo-api", "release_date")]


def test_hosts_of_open_weights_are_not_compared_and_one_sided_models_are_listed() -> None:
    found = report()
    assert "demo-7b" in found.only_here  # only a third-party host serves it
    assert found.only_there == ["demo-next"]
    assert found.only_here_api == 0


def test_the_command_prints_the_report() -> None:
    result = CliRunner().invoke(
        app, ["crosscheck", str(DATA / "mini_seeds"), "--catalogue", str(CATALOGUE), "--only"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 models matched; agreements: 1 context_length")
    assert "disagree  demo-api max_output_tokens: registry 8192, catalogue 4096" in result.output
    assert "only in the catalogue: demo-next" in result.output


def test_a_missing_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["crosscheck", str(DATA / "mini_seeds"), "--catalogue", str(tmp_path / "none.json")]
    )
    assert result.exit_code == 2
    assert "cannot read" in result.output
