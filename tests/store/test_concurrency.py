"""Readers during a seed load see the old data or the new, never a mix; loads never interleave."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS

from registry.main import create_app
from registry.seeds.load import load_records, read_records
from registry.seeds.records import TreeRecords, tree_records
from registry.seeds.validate import validate_tree
from registry.store import queries

OLD_CONTEXT, NEW_CONTEXT = 4096, 8192
LOADS = 30


def _tree(tmp_path: Path, name: str, *, context: int, drop_open: bool) -> TreeRecords:
    """The test seeds with every context length set to ``context`` (and demo-open dropped)."""
    root = tmp_path / name
    shutil.copytree(MINI_SEEDS, root)
    demo = root / "families" / "demo.yaml"
    text = demo.read_text()
    for old in ("4096", "32Ki", "200000"):
        text = text.replace(f"context_length: {old}", f"context_length: {context}")
    if drop_open:
        text = text[: text.index("  - slug: demo-open")] + text[text.index("  - slug: demo-api") :]
    demo.write_text(text)
    tree = validate_tree(root)
    assert tree.ok, tree.problems
    return tree_records(tree)


def test_readers_never_see_a_half_loaded_tree(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = queries.order_of

    def slow_reader(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.01)  # between the count and the rows: wide open to a load's commit
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "order_of", slow_reader)
    old = _tree(tmp_path, "old", context=OLD_CONTEXT, drop_open=False)
    new = _tree(tmp_path, "new", context=NEW_CONTEXT, drop_open=True)
    load_records(engine, old)
    client = TestClient(create_app(engine=engine))
    seen: list[tuple[int, frozenset[int | None]]] = []
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            # A distinct URL each time, so the response cache cannot hide the database.
            response = client.get(
                "/api/v1/models",
                params={"limit": 500, "offset": 0, "q": "", "sort": "slug"},
                headers={"x-nonce": str(time.monotonic_ns())},
            )
            if response.status_code != 200:
                failures.append(f"{response.status_code}: {response.text}")
                continue
            body = response.json()
            contexts = frozenset(m["context_length"] for m in body["data"])
            seen.append((body["count"], contexts))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for round_ in range(LOADS):
        load_records(engine, new if round_ % 2 == 0 else old)
        time.sleep(0.02)
    done.set()
    for thread in readers:
        thread.join()
    assert not failures
    assert len(seen) >= 10
    allowed = {
        (5, frozenset({OLD_CONTEXT, None})),
        (5, frozenset({OLD_CONTEXT})),
        (4, frozenset({NEW_CONTEXT, None})),
        (4, frozenset({NEW_CONTEXT})),
    }
    mixed = [s for s in seen if s not in allowed]
    assert not mixed, mixed[:3]


def test_two_loads_at_once_leave_one_whole_tree(engine: Engine, tmp_path: Path) -> None:
    old = _tree(tmp_path, "old", context=OLD_CONTEXT, drop_open=False)
    new = _tree(tmp_path, "new", context=NEW_CONTEXT, drop_open=True)
    load_records(engine, old)
    outcomes: list[object] = []

    def load(records: TreeRecords) -> None:
        try:
            outcomes.append(load_records(engine, records).summary())
        except Exception as exc:  # a clean failure is allowed; it must leave no trace
            outcomes.append(exc)

    for _ in range(3):
        threads = [threading.Thread(target=load, args=(records,)) for records in (new, old)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with engine.connect() as connection:
            final = read_records(connection)
        assert final in (old, new)
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes


def test_several_processes_answer_alike(engine: Engine, tmp_path: Path) -> None:
    """Two app instances (as two server processes) on one database: same answers, same ETags,
    and both see a new load at once, as their caches are keyed by the data revision."""
    old = _tree(tmp_path, "old", context=OLD_CONTEXT, drop_open=False)
    new = _tree(tmp_path, "new", context=NEW_CONTEXT, drop_open=True)
    load_records(engine, old)
    first, second = (TestClient(create_app(engine=engine)) for _ in range(2))
    url = "/api/v1/models?sort=slug"
    a, b = first.get(url), second.get(url)
    assert a.content == b.content and a.headers["etag"] == b.headers["etag"]
    assert second.get(url, headers={"If-None-Match": a.headers["etag"]}).status_code == 304
    load_records(engine, new)
    a2, b2 = first.get(url), second.get(url)
    assert a2.json()["count"] == b2.json()["count"] == 4
    assert a2.headers["etag"] == b2.headers["etag"] != a.headers["etag"]
