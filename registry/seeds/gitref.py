"""A seed tree as it was at a git revision, for ``registry diff --base REF``."""

from __future__ import annotations

import io
import subprocess
import tarfile
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
        raise BadInput("git is not installed: --base needs it") from exc
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise BadInput(
            f"git {' '.join(args[:2])} failed: {message[-1] if message else exc}"
        ) from exc
    return done.stdout
