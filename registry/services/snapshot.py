"""Snapshots of one revision for download: one table per entity, the revision inside
(``registry export``, ``/api/v1/snapshot.sqlite`` and ``.json``; docs/HISTORY.md).

Tables: ``revision`` (one row: the content hash, when it was recorded, the git commit),
``organizations``, ``families``, ``models`` (the flat shape of ``/api/v1/models.csv``),
``modalities``, ``sources`` (every field's source and confidence), ``lineage`` and
``evaluations``. The server builds each download once per revision and keeps it.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic_core import to_json
from sqlmodel import Session

from registry.errors import BadInput
from registry.models import ModelPublic
from registry.services.exports import LIST_COLUMNS
from registry.store import history as store
from registry.store import queries
from registry.store.filters import ModelFilters

Format = Literal["sqlite", "csv", "json", "parquet"]
COLUMNS = {
    "revision": ["revision", "recorded_at", "commit", "models"],
    "organizations": ["slug", "name", "url", "country", "families", "models"],
    "families": [
        "slug",
        "name",
        "organization",
        "description",
        "url",
        "models",
        "first_release",
        "latest_release",
    ],
    "models": list(ModelPublic.model_fields),
    "modalities": ["model", "direction", "modality"],
    "sources": ["model", "field", "url", "confidence", "undisclosed", "note"],
    "lineage": ["child", "parent", "relation", "note"],
    "evaluations": [
        "model",
        "benchmark",
        "score",
        "metric",
        "shots",
        "chain_of_thought",
        "source",
        "note",
    ],
}
KEPT = 2  # downloads kept per format

_lock = threading.Lock()
_built: dict[str, dict[str, bytes]] = {"sqlite": {}, "json": {}}
builds = 0  # how many downloads this process built (the tests read it)


def revision_id(session: Session) -> str:
    """The content hash of the data ``session`` reads ('empty' before the first load)."""
    current = store.current_revision(session)
    return current["revision"] if current else "empty"


def snapshot_rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every table of the snapshot as JSON-ready rows."""
    models = queries.matching_models(session, filters=ModelFilters(sort="slug"))
    current = store.current_revision(session)
    evaluations = queries.evaluations_by_model(session)
    revision = []
    if current is not None:
        revision.append(
            {
                **{key: current[key] for key in COLUMNS["revision"]},
                "recorded_at": current["recorded_at"].isoformat(),
            }
        )
    return {
        "revision": revision,
        "organizations": queries.list_organizations(session),
        "families": queries.list_families(session),
        "models": [_flat(model) for model in models],
        "modalities": [
            {"model": m.slug, "direction": direction, "modality": modality}
            for m in models
            for direction, values in (
                ("input", m.input_modalities),
                ("output", m.output_modalities),
            )
            for modality in values
        ],
        "sources": [
            {"model": m.slug, **s.model_dump(mode="json", exclude={"field"}), "field": s.field}
            for m in models
            for s in m.sources
        ],
        "lineage": store.all_lineage(session),
        "evaluations": [
            {"model": slug, **e.model_dump(mode="json")}
            for slug, rows in sorted(evaluations.items())
            for e in rows
        ],
    }


def _flat(model: ModelPublic) -> dict[str, Any]:
    """A model as one row, as ``/api/v1/models.csv`` has it (lists joined with ';')."""
    row = model.model_dump(mode="json", exclude={"sources"})
    for column in LIST_COLUMNS:
        row[column] = ";".join(row[column])
    row["sources"] = ";".join(sorted({s.url for s in model.sources if s.url}))
    return row


def frames(rows: dict[str, list[dict[str, Any]]]) -> dict[str, pd.DataFrame]:
    """The tables as data frames with nullable types (whole numbers stay whole)."""
    result = {}
    for name, columns in COLUMNS.items():
        frame = pd.DataFrame(rows[name], columns=columns).astype(object)
        result[name] = frame.where(frame.notna(), None).convert_dtypes()
    return result


def json_bytes(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    revision = rows["revision"][0] if rows["revision"] else None
    return to_json({"revision": revision, "tables": rows}, indent=None)


def sqlite_bytes(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.sqlite"
        _write_sqlite(rows, path)
        return path.read_bytes()


def _write_sqlite(rows: dict[str, list[dict[str, Any]]], path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        for name, frame in frames(rows).items():
            frame.to_sql(name, connection, index=False)
        connection.commit()
    finally:
        connection.close()


def download(session: Session, kind: Literal["sqlite", "json"]) -> tuple[str, bytes]:
    """The current revision's snapshot as an SQLite file or a JSON document, built once per
    revision and kept; returns (revision, bytes)."""
    global builds
    revision = revision_id(session)
    with _lock:
        kept = _built[kind]
        if revision not in kept:
            rows = snapshot_rows(session)
            kept[revision] = (sqlite_bytes if kind == "sqlite" else json_bytes)(rows)
            builds += 1
            while len(kept) > KEPT:
                kept.pop(next(iter(kept)))
        return revision, kept[revision]


def export(session: Session, fmt: Format, folder: Path) -> list[Path]:
    """Write the current revision to ``folder`` as ``fmt``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = snapshot_rows(session)
    revision = rows["revision"][0]["revision"] if rows["revision"] else "empty"
    if fmt == "sqlite":
        path = folder / f"registry-{revision}.sqlite"
        path.unlink(missing_ok=True)
        _write_sqlite(rows, path)
        return [path]
    if fmt == "json":
        path = folder / f"registry-{revision}.json"
        path.write_bytes(json_bytes(rows))
        return [path]
    writer: Callable[[pd.DataFrame, Path], Any]
    if fmt == "parquet":
        _need_pyarrow()
        writer = lambda frame, path: frame.to_parquet(path, index=False, engine="pyarrow")  # noqa: E731
    else:
        writer = lambda frame, path: frame.to_csv(path, index=False)  # noqa: E731
    written = []
    for name, frame in frames(rows).items():
        path = folder / f"{name}.{fmt}"
        writer(frame, path)
        written.append(path)
    return written


def _need_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise BadInput(
            "--format parquet needs pyarrow: pip install 'model-registry[parquet]'"
        ) from None
