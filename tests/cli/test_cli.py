"""The command line as a newcomer uses it: migrate, validate, seed, diff, schema."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import MINI_SEEDS
from typer.testing import CliRunner

from registry.cli.app import app
from registry.config import get_settings
from registry.store import engine as db
from registry.store import migrate

runner = CliRunner()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI pointed at a fresh SQLite file and data folder, and the small test seeds."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield tmp_path
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_ok_prints_a_summary(seed_tree: Path) -> None:
    code, out, _ = invoke("validate", str(seed_tree))
    assert code == 0
    assert out.strip().endswith("holds 5 models in 1 families from 2 organizations")


def test_validate_lists_problems_one_per_line_and_exits_1(seed_tree: Path) -> None:
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(
        demo.read_text()
        .replace("access: both", "access: weights")
        .replace("total_params: 1.2B", "total_params: 1.2X")
    )
    code, out, err = invoke("validate", str(seed_tree))
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert all(":" in line and "families/demo.yaml:" in line for line in lines)
    assert "2 problem(s) found" in err


def test_seed_is_idempotent_and_reports_changes(configured: Path, seed_tree: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, out, _ = invoke("seed", str(seed_tree))
    assert code == 0
    assert "5 models added" in out and "+ model demo-8x1b" in out
    code, out, _ = invoke("seed", str(seed_tree))
    assert code == 0
    assert out.startswith("unchanged: the database already holds these 5 models")


def test_seed_pauses_the_cyclic_collector_only_while_it_runs(
    configured: Path, seed_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector's passes over a large parsed tree are wasted work (docs/PERFORMANCE.md)."""
    from registry.cli import seeds

    seen: list[bool] = []

    def validate_tree(path: Path) -> object:
        seen.append(gc.isenabled())
        return validate(path)

    validate = seeds.validate_tree
    monkeypatch.setattr(seeds, "validate_tree", validate_tree)
    assert invoke("db", "upgrade")[0] == 0
    assert gc.isenabled()
    assert invoke("seed", str(seed_tree))[0] == 0
    assert seen == [False] and gc.isenabled()
    seed_tree.joinpath("organizations.yaml").write_text("broken: [\n")
    assert invoke("seed", str(seed_tree))[0] == 1
    assert seen == [False, False] and gc.isenabled()


def test_seed_refuses_an_unmigrated_database(configured: Path, seed_tree: Path) -> None:
    code, _, _ = invoke("seed", str(seed_tree))
    assert code != 0


def test_invalid_seeds_load_nothing(configured: Path, seed_tree: Path) -> None:
    invoke("db", "upgrade")
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(demo.read_text().replace("experts_per_token: 2", "experts_per_token: 20"))
    code, out, err = invoke("seed", str(seed_tree))
    assert code == 1
    assert "experts_per_token (20) exceeds experts (8)" in out
    assert "nothing was loaded" in err
    with db.get_engine().connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM model").scalar() == 0


def test_db_downgrade_to_base_and_back(configured: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, out, _ = invoke("db", "downgrade", "base")
    assert code == 0 and "base (empty)" in out
    code, out, _ = invoke("db", "upgrade")
    head = migrate.head_revision(db.get_engine())
    assert code == 0 and out.strip().endswith(f"is at revision {head}")


def test_diff_between_two_trees(tmp_path: Path, seed_tree: Path) -> None:
    import shutil

    new = tmp_path / "new"
    shutil.copytree(seed_tree, new)
    demo = new / "families" / "demo.yaml"
    demo.write_text(demo.read_text().replace("training_tokens: 2T", "training_tokens: 3T"))
    code, out, _ = invoke("diff", str(seed_tree), str(new))
    assert code == 0
    assert "1 changed" in out
    assert "training_tokens: 2,000,000,000,000 → 3,000,000,000,000" in out
    # How the derived values move: tokens per parameter and 6·N·D compute both rise ×1.5.
    assert "| `demo-7b` | tokens_per_param | 296.7 | 445.1 | ×1.5 |" in out
    assert "| `demo-7b` | training_flops | 8.088e+22 | 1.213e+23 | ×1.5 |" in out


def test_diff_against_a_git_ref(tmp_path: Path, seed_tree: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "seeds")
    demo = seed_tree / "families" / "demo.yaml"
    text = demo.read_text()
    demo.write_text(text[: text.index("  - slug: demo-api")])
    code, out, _ = invoke("diff", str(seed_tree), "--base", "HEAD")
    assert code == 0, out
    assert "### Models removed" in out and "- `demo-api`" in out


def test_schema_json_is_current() -> None:
    code, _, err = invoke("schema", "--check")
    assert code == 0, err
    schema = json.loads((Path(__file__).parents[2] / "seeds" / "schema.json").read_text())
    assert "FamilyFile" in schema["$defs"] and "OrganizationsFile" in schema["$defs"]


def test_every_seed_file_points_editors_at_the_schema() -> None:
    seeds = Path(__file__).parents[2] / "seeds"
    for path in [seeds / "organizations.yaml", *sorted((seeds / "families").glob("*.yaml"))]:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == (seeds / "schema.json").resolve(), path


def _cut_models_from(tree: Path, slug: str) -> None:
    """Remove ``slug`` and every model after it from the demo family."""
    demo = tree / "families" / "demo.yaml"
    text = demo.read_text()
    demo.write_text(text[: text.index(f"  - slug: {slug}\n")])


def _model_slugs() -> list[str]:
    with db.get_engine().connect() as connection:
        return sorted(connection.exec_driver_sql("SELECT slug FROM model").scalars())


def test_a_load_removing_every_model_is_refused(configured: Path, seed_tree: Path) -> None:
    invoke("db", "upgrade")
    assert invoke("seed", str(seed_tree))[0] == 0
    before = _model_slugs()
    (seed_tree / "families" / "demo.yaml").unlink()  # the whole families/ content gone
    code, out, err = invoke("seed", str(seed_tree))
    assert code == 1
    assert "would remove 5 of 5 models (every model" in err and "--allow-mass-removal" in err
    assert all(f"- model {slug}" in out for slug in before)  # what it would have removed
    assert _model_slugs() == before
    code, out, _ = invoke("seed", str(seed_tree), "--allow-mass-removal")
    assert code == 0 and "5 removed" in out
    assert _model_slugs() == []


def test_a_load_removing_over_a_fifth_is_refused_and_a_fifth_is_not(
    configured: Path, seed_tree: Path
) -> None:
    invoke("db", "upgrade")
    assert invoke("seed", str(seed_tree))[0] == 0
    before = _model_slugs()
    _cut_models_from(seed_tree, "demo-open")  # two of five: 40%
    code, out, err = invoke("seed", str(seed_tree))
    assert code == 1 and "would remove 2 of 5 models (40% of the models" in err
    assert "- model demo-open" in out and "- model demo-api" in out
    assert _model_slugs() == before
    (seed_tree / "families" / "demo.yaml").unlink()
    shutil.copytree(MINI_SEEDS / "families", seed_tree / "families", dirs_exist_ok=True)
    _cut_models_from(seed_tree, "demo-api")  # one of five: 20%, the limit itself
    code, out, _ = invoke("seed", str(seed_tree))
    assert code == 0 and "1 removed" in out
    assert _model_slugs() == [slug for slug in before if slug != "demo-api"]
