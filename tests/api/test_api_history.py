"""History over HTTP on SQLite and PostgreSQL: a model's changes, the change log, revisions,
``?revision=`` reads, the Atom feed and the /changes page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS

from registry.http.revision import revision_databases
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree

ATOM = "{http://www.w3.org/2005/Atom}"


def records_of(path: Path) -> TreeRecords:
    tree = validate_tree(path)
    assert tree.ok, tree.problems
    return tree_records(tree)


class History:
    """Two revisions: the test seeds, then demo-api's context doubled and demo-open removed."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        seeds = folder / "seeds"
        shutil.copytree(MINI_SEEDS, seeds)
        self.client = TestClient(create_app(engine=engine))
        self.first = records_of(seeds)
        load_records(engine, self.first, commit="1" * 40)
        self.before = {url: self.client.get(url).json() for url in PINNED_URLS}
        demo = seeds / "families" / "demo.yaml"
        text = demo.read_text()
        start, end = text.index("  - slug: demo-open"), text.index("  - slug: demo-api")
        demo.write_text(
            text[:start] + text[end:].replace("context_length: 200000", "context_length: 400000")
        )
        self.second = records_of(seeds)
        load_records(engine, self.second, commit="2" * 40)


PINNED_URLS = (
    "/api/v1/models?limit=500",
    "/api/v1/models?architecture=dense&sort=-context_length",
    "/api/v1/models/demo-api",
    "/api/v1/models/demo-open",
    "/api/v1/compare?models=demo-api,demo-open,demo-7b",
)


@pytest.fixture
def history(engine: Engine, tmp_path: Path) -> History:
    return History(engine, tmp_path)


def test_revision_reproduces_the_earlier_state_field_by_field(history: History) -> None:
    client, first = history.client, history.first.revision()
    assert client.get("/api/v1/models/demo-open").status_code == 404  # gone now
    assert client.get("/api/v1/models/demo-api").json()["model"]["context_length"] == 400000
    databases = revision_databases(client.app)
    builds = databases.builds
    for url in PINNED_URLS:
        joiner = "&" if "?" in url else "?"
        for ref in (first, "1" * 7):  # the revision, or its git commit
            pinned = client.get(f"{url}{joiner}revision={ref}")
            assert pinned.status_code == 200, (url, pinned.text)
            assert pinned.json() == history.before[url], url
            assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert databases.builds == builds + 1  # one database for that revision, reused
    # The current revision by name answers as the current data does.
    current = client.get("/api/v1/models/demo-api", params={"revision": history.second.revision()})
    assert current.json() == client.get("/api/v1/models/demo-api").json()


def test_unknown_revision_is_a_404_naming_it(history: History) -> None:
    for url in (
        "/api/v1/models",
        "/api/v1/models/demo-7b",
        "/api/v1/compare?models=demo-7b,demo-api",
    ):
        response = history.client.get(url, params={"revision": "deadbeef00"})
        assert response.status_code == 404
        assert "deadbeef00" in response.json()["detail"]
    page = history.client.get("/models/demo-7b", params={"revision": "deadbeef00"})
    assert page.status_code == 404 and "deadbeef00" in page.text
    bad = history.client.get("/api/v1/models", params={"revision": "a b"})
    assert bad.status_code == 422 and "revision" in bad.text


def test_model_history_newest_first_with_every_field(history: History) -> None:
    client = history.client
    body = client.get("/api/v1/models/demo-api/history").json()
    assert body["count"] == 2
    changed, added = body["data"]
    assert (changed["action"], changed["field"], changed["old"], changed["new"]) == (
        "changed",
        "context_length",
        200000,
        400000,
    )
    assert changed["revision"] == history.second.revision() and changed["commit"] == "2" * 40
    assert changed["source"] == history.second.models["demo-api"]["claims"]["context_length"][0]
    assert added["action"] == "added" and added["revision"] == history.first.revision()
    assert dt.datetime.fromisoformat(changed["recorded_at"]) >= dt.datetime.fromisoformat(
        added["recorded_at"]
    )
    # A removed model keeps its history; a slug never seen is a 404.
    removed = client.get("/api/v1/models/demo-open/history").json()["data"]
    assert [c["action"] for c in removed] == ["removed", "added"]
    assert client.get("/api/v1/models/nothing-like-it/history").status_code == 404


def test_changes_filter_and_page(history: History) -> None:
    client = history.client
    everything = client.get("/api/v1/changes").json()
    assert everything["count"] == 8 + 2  # the first load's additions, then one change, one removal
    assert [c["revision"] for c in everything["data"][:2]] == [history.second.revision()] * 2
    assert client.get("/api/v1/changes", params={"field": "context_length"}).json()["count"] == 1
    assert client.get("/api/v1/changes", params={"model": "demo-open"}).json()["count"] == 2
    assert client.get("/api/v1/changes", params={"family": "demo"}).json()["count"] == 8
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    assert client.get("/api/v1/changes", params={"since": tomorrow}).json()["count"] == 0
    assert client.get("/api/v1/changes", params={"until": tomorrow}).json()["count"] == 10
    page = client.get("/api/v1/changes", params={"limit": 3, "offset": 3}).json()
    assert page["count"] == 10 and page["data"] == everything["data"][3:6]
    bad = client.get("/api/v1/changes", params={"since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.text


def test_revisions_list_times_commits_and_counts(history: History) -> None:
    body = history.client.get("/api/v1/revisions").json()
    assert body["count"] == 2
    second, first = body["data"]
    assert (second["revision"], second["commit"]) == (history.second.revision(), "2" * 40)
    assert (second["models_added"], second["models_changed"], second["models_removed"]) == (0, 1, 1)
    assert (first["models"], first["models_added"], first["origin"]) == (5, 5, "load")
    one = history.client.get(f"/api/v1/revisions/{'2' * 9}").json()
    assert one["revision"] == history.second.revision() and len(one["data"]) == 2


def test_atom_feed_is_valid_and_links_the_models(history: History) -> None:
    response = history.client.get("/changes.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2  # one per revision
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2
    for entry in entries:
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated").replace("Z", "+00:00"))
    newest = parsed.entries[0]
    assert "demo-api" in newest.title and "/models/demo-api" in newest.content[0].value
    filtered = feedparser.parse(history.client.get("/changes.atom?model=demo-7b").content)
    assert len(filtered.entries) == 1


def test_changes_page_groups_by_revision_and_model_page_shows_history(history: History) -> None:
    client = history.client
    page = client.get("/changes")
    assert page.status_code == 200 and page.template.name == "changes.html"
    groups = page.context["groups"]
    assert [g["revision"] for g in groups] == [history.second.revision(), history.first.revision()]
    assert 'href="/models/demo-api"' in page.text
    assert page.context["json_url"] == "/api/v1/changes"
    model = client.get("/models/demo-api")
    assert model.status_code == 200
    assert [c["field"] for c in model.context["history"]] == ["context_length", None]
    assert 'id="history"' in model.text
    # At the first revision the page shows the model, and the history, as they were.
    pinned = client.get("/models/demo-open", params={"revision": history.first.revision()})
    assert pinned.status_code == 200
    assert [c["action"] for c in pinned.context["history"]] == ["added"]
