"""Seed trees in git: a tree as it was at a revision (``registry diff --base REF``), the commit
the seeds are at, and the commits that touched them (``registry history --from-git``)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from registry.errors import BadInput


def export_tree(path: Path, ref: str, target: Path) -> Path:
    """Extract the folder ``path`` as it was at ``ref`` under ``target``; return its copy."""
    path = path.resolve()
    top = Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())
    relative = path.relative_to(top.resolve()).as_posix()
    archive = _git(top, "archive", "--format=tar", ref, relative)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / relative


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)
    except FileNotFoundError as exc:
        raise BadInput("git is not installed: reading the seeds' history needs it") from exc
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise BadInput(
            f"git {' '.join(args[:2])} failed: {message[-1] if message else exc}"
        ) from exc
    return done.stdout


@dataclass(frozen=True)
class Commit:
    sha: str
    committed_at: dt.datetime


def _top(path: Path) -> tuple[Path, str]:
    path = path.resolve()
    top = Path(_git(path, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    return top, path.relative_to(top).as_posix()


def seeds_commit(path: Path) -> str | None:
    """HEAD's commit when ``path`` lies in a git checkout and is exactly as committed there;
    None otherwise (no git, not a checkout, or uncommitted edits under ``path``)."""
    try:
        top, relative = _top(path)
        if _git(top, "status", "--porcelain", "--", relative).strip():
            return None
        return _git(top, "rev-parse", "HEAD").decode().strip()
    except (BadInput, ValueError):
        return None


def seed_commits(path: Path, since: str | None = None) -> list[Commit]:
    """The commits that touched ``path``, oldest first (after ``since`` when given)."""
    top, relative = _top(path)
    if since is not None:
        _git(top, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    span = f"{since}..HEAD" if since else "HEAD"
    out = _git(top, "log", "--reverse", "--format=%H %cI", span, "--", relative).decode()
    commits = []
    for line in out.splitlines():
        sha, when = line.split(" ", 1)
        commits.append(Commit(sha, dt.datetime.fromisoformat(when).astimezone(dt.UTC)))
    return commits
