"""The change log as the API, the pages and the feed read it: one function per read
(docs/HISTORY.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from sqlmodel import Session

from registry.errors import NotFound
from registry.store import history as store
from registry.store.history import MAX_CHANGES, ChangeFilters

ATOM = "http://www.w3.org/2005/Atom"
FEED_REVISIONS = 50  # entries in the Atom feed


def model_history(session: Session, *, slug: str) -> dict[str, Any]:
    """Every change of one model, newest first; NotFound when no model had that slug."""
    if not store.model_known(session, slug=slug):
        raise NotFound(f"no model with slug {slug!r}, now or in the change log")
    changes: list[dict[str, Any]] = []
    while True:
        filters = ChangeFilters(model=slug, limit=MAX_CHANGES, offset=len(changes))
        page, count = store.list_changes(session, filters=filters)
        changes += page
        if len(changes) >= count or not page:
            return {"model": slug, "data": changes, "count": count}


def changes(session: Session, filters: ChangeFilters) -> dict[str, Any]:
    """A page of changes matching ``filters`` and how many match."""
    data, count = store.list_changes(session, filters=filters)
    return {"data": data, "count": count}


def revisions(session: Session, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Revisions, newest first, with their time, commit and counts of models changed."""
    data, count = store.list_revisions(session, limit=limit, offset=offset)
    return {"data": data, "count": count}


def revision_detail(session: Session, *, ref: str) -> dict[str, Any]:
    """One revision (by content hash or commit) and every change it made."""
    row = store.find_revision(session, ref=ref)
    if row is None:
        raise NotFound(
            f"no revision {ref!r}: give a revision or a commit listed by GET /api/v1/revisions"
        )
    revision = store.revision_public(row)
    entries = [c for c in store.changes_of(session, revision_id=row.id)]
    return {**revision, "data": entries}


def grouped(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive changes of one revision gathered: the revision, its time, commit and changes."""
    groups: list[dict[str, Any]] = []
    for change in changes:
        key = (change["revision"], change["recorded_at"], change["commit"])
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "revision": change["revision"],
                    "recorded_at": change["recorded_at"],
                    "commit": change["commit"],
                    "changes": [],
                }
            )
        groups[-1]["changes"].append(change)
    return groups


def describe(change: dict[str, Any]) -> str:
    """One change as a sentence: 'model demo-7b: context_length 4096 → 8192'."""
    what = f"{change['kind']} {change['slug']}"
    if change["action"] != "changed":
        return f"{what} {change['action']}"
    return f"{what}: {change['field']} {_short(change['old'])} → {_short(change['new'])}"


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict) and "confidence" in value:
        return (
            "undisclosed"
            if value.get("undisclosed")
            else f"{value['confidence']} ({value.get('url') or 'computed'})"
        )
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def atom_feed(session: Session, filters: ChangeFilters, *, base_url: str, self_url: str) -> bytes:
    """An Atom feed (RFC 4287) of the latest revisions' changes matching ``filters``, one entry
    per revision, linking the models changed."""
    data, _ = store.list_changes(session, filters=filters.model_copy(update={"limit": MAX_CHANGES}))
    groups = grouped(data)[:FEED_REVISIONS]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", "Model registry: changes")
    _text(feed, "id", f"{base_url}/changes")
    newest = groups[0]["recorded_at"] if groups else dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    _text(feed, "updated", _rfc3339(newest))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(
        feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base_url}/changes", type="text/html"
    )
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Model registry")
    for group in groups:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base_url}/api/v1/revisions/{group['revision']}"
        if group["commit"]:
            url = f"{base_url}/api/v1/revisions/{group['commit']}"
        models = sorted({c["slug"] for c in group["changes"] if c["kind"] == "model"})
        title = f"Revision {group['revision']}: {len(group['changes'])} change(s)"
        if models:
            title += f" to {', '.join(models[:5])}{' …' if len(models) > 5 else ''}"
        _text(entry, "title", title)
        _text(entry, "id", url)
        _text(entry, "updated", _rfc3339(group["recorded_at"]))
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            rel="alternate",
            href=f"{base_url}/changes#r-{group['revision']}",
            type="text/html",
        )
        content = ET.SubElement(entry, f"{{{ATOM}}}content", type="html")
        content.text = _entry_html(group, base_url)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="utf-8", xml_declaration=False
    )


def _text(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = text


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entry_html(group: dict[str, Any], base_url: str) -> str:
    from html import escape

    items = []
    for change in group["changes"]:
        text = escape(describe(change))
        if change["kind"] == "model" and change["action"] != "removed":
            text = f'<a href="{escape(base_url)}/models/{escape(change["slug"])}">{text}</a>'
        items.append(f"<li>{text}</li>")
    commit = f" (commit {escape(group['commit'])})" if group["commit"] else ""
    return f"<p>Revision {escape(group['revision'])}{commit}</p><ul>{''.join(items)}</ul>"
