"""Fits saved by name in a JSON file, so that ``--fit NAME`` can use them everywhere.

The file maps each name to its coefficients (E, A, B, alpha, beta, source, ...). Callers pass the
path (the CLI and server use ``Settings.fits_path``); this module reads no settings itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from registry.calc.errors import CalcError
from registry.calc.laws import BUILTIN_FITS, ChinchillaFit, fit_from_dict


def load_saved_fits(path: Path) -> dict[str, ChinchillaFit]:
    """The fits saved in ``path``, by name (empty when the file does not exist)."""
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CalcError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(stored, dict):
        raise CalcError(f"{path}: expected an object of named fits, got {type(stored).__name__}")
    return {name: fit_from_dict(name, data) for name, data in stored.items()}


def save_fit(path: Path, law: ChinchillaFit, extra: Mapping[str, Any] | None = None) -> Path:
    """Add (or replace) ``law`` in ``path`` under its name; built-in names are refused."""
    if law.name in BUILTIN_FITS:
        raise CalcError(f"cannot save a fit as {law.name!r}: that is a built-in set")
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    stored[law.name] = {**law.as_dict(), **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    return path
