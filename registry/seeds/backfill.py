"""``registry history --from-git``: the change log read back from the seeds' git history.

Each commit that touched the seed folder becomes one revision, dated by the commit and compared
with the commit before it, so the history starts at the project's first commit. Commits that a
revision already records are skipped (re-running changes nothing), and the whole backfill is one
transaction (docs/HISTORY.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from registry.seeds.changes import compare
from registry.seeds.gitref import Commit, export_tree, seed_commits
from registry.seeds.history import record_history
from registry.seeds.load import _lock as lock_loads  # loads and backfills take turns
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree
from registry.store import history as store


@dataclass(frozen=True)
class Backfilled:
    """What became of one commit: ``recorded``, ``present`` (already recorded) or ``skipped``."""

    commit: Commit
    outcome: str
    revision: str | None = None
    summary: str = ""


def backfill(
    engine: Engine,
    path: Path,
    *,
    since: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Backfilled]:
    """Record one revision per commit that touched ``path`` (after ``since``), oldest first."""
    commits = seed_commits(path, since)
    results: list[Backfilled] = []
    with tempfile.TemporaryDirectory() as scratch, engine.begin() as connection:
        lock_loads(connection)
        present = store.recorded_commits(connection)
        previous = _records_at(path, since, Path(scratch) / "base") if since else TreeRecords()
        for number, commit in enumerate(commits, start=1):
            records, problem = _records_or_problem(path, commit.sha, Path(scratch) / str(number))
            if records is None:
                results.append(Backfilled(commit, "skipped", summary=problem))
            elif commit.sha in present:
                results.append(Backfilled(commit, "present", records.revision()))
            else:
                changes = compare(previous, records)
                record_history(
                    connection,
                    previous,
                    records,
                    changes,
                    origin="git",
                    commit=commit.sha,
                    recorded_at=commit.committed_at,
                )
                results.append(
                    Backfilled(commit, "recorded", records.revision(), changes.summary())
                )
            previous = records or previous
            if progress is not None:
                progress(number, len(commits))
    return results


def _records_or_problem(path: Path, ref: str, target: Path) -> tuple[TreeRecords | None, str]:
    from registry.errors import BadInput

    try:
        tree = validate_tree(export_tree(path, ref, target))
    except BadInput as exc:
        return None, exc.message
    if not tree.ok:
        return None, f"{len(tree.problems)} problem(s); first: {tree.problems[0]}"
    return tree_records(tree), ""


def _records_at(path: Path, ref: str, target: Path) -> TreeRecords:
    records, _ = _records_or_problem(path, ref, target)
    return records or TreeRecords()
