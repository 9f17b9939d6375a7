"""The change log of a load: one row per entity added or removed and per field changed, with the
source of the value, written in the load's own transaction (docs/HISTORY.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zlib
from collections import Counter
from typing import Any

from sqlalchemy.engine import Connection

from registry.seeds.changes import KINDS, ChangeSet
from registry.seeds.records import ARCH_FIELDS, Record, TreeRecords
from registry.store import history as store

SINGULAR = {"organizations": "organization", "families": "family", "models": "model"}
ARCH_CLAIM = "arch"
# Record fields whose source is another field's claim.
CLAIM_OF = {
    "release_date_precision": "release_date",
    "knowledge_cutoff_precision": "knowledge_cutoff",
}


def record_history(
    connection: Connection,
    old: TreeRecords,
    new: TreeRecords,
    changes: ChangeSet,
    *,
    origin: str = "load",
    commit: str | None = None,
    recorded_at: dt.datetime | None = None,
    revision_id: str | None = None,
) -> int:
    """Record the revision ``old`` → ``new``: its changes and its snapshot; return its id.
    ``revision_id``: ``new.revision()`` when the caller has it already (a hash of every record)."""
    rows = change_rows(old, new, changes)
    revision = {
        "revision": revision_id or new.revision(),
        "recorded_at": recorded_at or dt.datetime.now(dt.UTC),
        "git_commit": commit,
        "origin": origin,
        "models": len(new.models),
        "models_added": len(changes.models.added),
        "models_changed": len(changes.models.changed),
        "models_removed": len(changes.models.removed),
        "changes": len(rows),
    }
    return store.record_revision(
        connection, revision=revision, changes=rows, snapshot=encode_records(new)
    )


def encode_records(records: TreeRecords) -> bytes:
    """A tree's records as compressed JSON: what ``?revision=`` rebuilds a database from."""
    # The records are plain JSON values already: no deep copy (``dataclasses.asdict``) needed.
    payload = {f.name: getattr(records, f.name) for f in dataclasses.fields(records)}
    return zlib.compress(json.dumps(payload, sort_keys=True).encode(), 6)


def decode_records(data: bytes) -> TreeRecords:
    payload = json.loads(zlib.decompress(data))
    # Snapshots written before a kind existed (benchmarks) lack it: it was empty then.
    return TreeRecords(**{f.name: payload.get(f.name, {}) for f in dataclasses.fields(TreeRecords)})


def change_rows(old: TreeRecords, new: TreeRecords, changes: ChangeSet) -> list[dict[str, Any]]:
    """The log rows of ``changes``: organisations, then families, then models."""
    rows: list[dict[str, Any]] = []
    for kind in KINDS:
        kind_changes = getattr(changes, kind)
        before, after = getattr(old, kind), getattr(new, kind)
        for slug in kind_changes.added:
            rows.append(_row(kind, slug, after[slug], "added", new=after[slug]))
        for slug, fields in kind_changes.changed.items():
            for name, (was, now) in fields.items():
                if name == "claims":
                    rows += _claim_rows(kind, slug, after[slug], was or {}, now or {})
                else:
                    source = _field_source(kind, after[slug], name) or _field_source(
                        kind, before[slug], name
                    )
                    rows.append(
                        _row(kind, slug, after[slug], "changed", name, was, now, source=source)
                    )
        for slug in kind_changes.removed:
            rows.append(_row(kind, slug, before[slug], "removed", old=before[slug]))
    return rows


def _row(
    kind: str,
    slug: str,
    record: Record,
    action: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    *,
    source: str | None = None,
) -> dict[str, Any]:
    singular = SINGULAR[kind]
    family = record.get("family") if singular == "model" else slug if singular == "family" else None
    if source is None and field is None:
        source = _record_source(kind, record)
    return {
        "kind": singular,
        "slug": slug,
        "family": family,
        "action": action,
        "field": field,
        "old": old,
        "new": new,
        "source": source,
    }


def _claim_rows(
    kind: str, slug: str, record: Record, old: dict[str, Any], new: dict[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) != new.get(name):
            claim = new.get(name) or old.get(name)
            rows.append(
                _row(
                    kind,
                    slug,
                    record,
                    "changed",
                    f"sources.{name}",
                    _claim(old.get(name)),
                    _claim(new.get(name)),
                    source=claim[0] if claim else None,
                )
            )
    return rows


def _claim(claim: list[Any] | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    url, confidence, undisclosed, note, *pinned = claim
    version, quote = [*pinned, None, None][:2]
    return {
        "url": url,
        "confidence": confidence,
        "undisclosed": undisclosed,
        "note": note,
        "version": version,
        "quote": quote,
    }


def _field_source(kind: str, record: Record, name: str) -> str | None:
    """The URL a field's value comes from: its claim's source for a model, the page otherwise."""
    if kind != "models":
        return record.get("url")
    claims = record.get("claims") or {}
    claim = claims.get(CLAIM_OF.get(name, name))
    if claim is None and name not in claims and name in ARCH_FIELDS:
        claim = claims.get(ARCH_CLAIM)
    return claim[0] if claim else None


def _record_source(kind: str, record: Record) -> str | None:
    """A whole record's source: its page, or a model's most cited claim source."""
    if kind != "models":
        return record.get("url")
    urls = Counter(c[0] for c in (record.get("claims") or {}).values() if c and c[0])
    if not urls:
        return None
    return sorted(urls.items(), key=lambda item: (-item[1], item[0]))[0][0]
