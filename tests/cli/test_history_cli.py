"""``registry history --from-git`` and ``registry export`` from the command line."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli.app import app
from registry.config import get_settings
from registry.store import engine as db

runner = CliRunner()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield tmp_path
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_seed_then_export_every_format(configured: Path, seed_tree: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    assert invoke("seed", str(seed_tree))[0] == 0
    code, out, _ = invoke("export", "--format", "sqlite", str(configured / "out"))
    assert code == 0
    (path,) = [Path(line) for line in out.split()]
    assert path.name.startswith("registry-") and path.suffix == ".sqlite"
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM models").fetchone() == (5,)
        (revision,) = connection.execute("SELECT revision FROM revision").fetchone()
    assert path.name == f"registry-{revision}.sqlite"
    code, out, _ = invoke("export", "--format", "csv", str(configured / "csv"))
    assert code == 0 and (configured / "csv" / "models.csv").exists()
    code, _, err = invoke("export", "--format", "xlsx", str(configured / "x"))
    assert code == 2 and "--format" in err and not (configured / "x").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_history_from_git_needs_the_flag_and_reports_each_commit(
    configured: Path, seed_tree: Path
) -> None:
    import subprocess

    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}  # fmt: skip
    root = seed_tree.parent
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "seeds"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    assert invoke("db", "upgrade")[0] == 0
    assert invoke("history")[0] == 2
    code, out, _ = invoke("history", "--from-git", "--path", str(seed_tree))
    assert code == 0, out
    assert out.strip().endswith(
        "1 commit(s) touched the seeds: 1 recorded, 0 already recorded, 0 skipped"
    )
    code, out, _ = invoke("history", "--from-git", "--path", str(seed_tree))
    assert out.strip().endswith("0 recorded, 1 already recorded, 0 skipped")
