"""``registry history --from-git``: one revision per commit that touched the seeds, idempotent."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS

from registry.seeds.backfill import backfill

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, message: str, when: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository whose seeds change in three commits, with a fourth that leaves them alone."""
    root = tmp_path / "project"
    shutil.copytree(MINI_SEEDS, root / "seeds")
    git(root, "init", "-q", "-b", "main")
    shas = [commit(root, "seeds", "2026-01-01T10:00:00Z")]
    (root / "README.md").write_text("not seeds\n")
    commit(root, "readme", "2026-01-02T10:00:00Z")
    demo = root / "seeds" / "families" / "demo.yaml"
    demo.write_text(demo.read_text().replace("context_length: 4096", "context_length: 8192"))
    shas.append(commit(root, "longer context", "2026-01-03T10:00:00Z"))
    text = demo.read_text()
    start, end = text.index("  - slug: demo-open"), text.index("  - slug: demo-api")
    demo.write_text(text[:start] + text[end:])
    shas.append(commit(root, "drop demo-open", "2026-01-04T10:00:00Z"))
    return root, shas


def revisions(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT git_commit, origin, models, models_added, models_changed, "
                    "models_removed FROM revision ORDER BY recorded_at"
                )
            )
        ]


def test_one_revision_per_commit_touching_the_seeds(
    engine: Engine, repo: tuple[Path, list[str]]
) -> None:
    root, shas = repo
    results = backfill(engine, root / "seeds")
    assert [(r.commit.sha, r.outcome) for r in results] == [(sha, "recorded") for sha in shas]
    assert revisions(engine) == [
        (shas[0], "git", 5, 5, 0, 0),
        (shas[1], "git", 5, 0, 1, 0),
        (shas[2], "git", 4, 0, 0, 1),
    ]
    with engine.connect() as connection:
        change = connection.execute(
            sa.text(
                "SELECT c.slug, c.field, r.recorded_at FROM change_log c "
                "JOIN revision r ON r.id = c.revision_id WHERE r.git_commit = :sha"
            ),
            {"sha": shas[1]},
        ).one()
    assert (change.slug, change.field) == ("demo-7b", "context_length")
    assert str(change.recorded_at).startswith("2026-01-03 10:00:00")  # the commit's time
    # Nothing but the history was written: the knowledge tables stay empty.
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM model")).scalar() == 0


def test_running_it_again_changes_nothing(engine: Engine, repo: tuple[Path, list[str]]) -> None:
    root, _ = repo
    backfill(engine, root / "seeds")
    before = revisions(engine)
    again = backfill(engine, root / "seeds")
    assert [r.outcome for r in again] == ["present"] * 3
    assert revisions(engine) == before


def test_since_starts_after_a_commit_and_compares_with_it(
    engine: Engine, repo: tuple[Path, list[str]]
) -> None:
    root, shas = repo
    results = backfill(engine, root / "seeds", since=shas[0])
    assert [r.commit.sha for r in results] == shas[1:]
    assert revisions(engine) == [(shas[1], "git", 5, 0, 1, 0), (shas[2], "git", 4, 0, 0, 1)]
