"""The change log: every load records exactly its changes, in the load's own transaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests_support import table_rows

from registry.seeds import load as load_module
from registry.seeds.history import decode_records
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import history as store


def records_of(path: Path):  # type: ignore[no-untyped-def]
    tree = validate_tree(path)
    assert tree.ok, tree.problems
    return tree_records(tree)


def log(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT r.revision, r.git_commit AS git_commit, c.kind, c.slug, c.family, c.action, c.field, "
                "c.old, c.new, c.source FROM change_log c JOIN revision r ON r.id = c.revision_id "
                "ORDER BY c.id"
            )
        )
        entries = [dict(row._mapping) for row in rows]
    for entry in entries:  # raw SQL reads JSON as text on SQLite, decoded on PostgreSQL
        for key in ("old", "new"):
            if isinstance(entry[key], str):
                entry[key] = json.loads(entry[key])
    return entries


def revisions(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM revision ORDER BY id"))
        return [dict(row._mapping) for row in rows]


def edit(seed_tree: Path) -> None:
    """Change demo-api's context length, remove demo-open, add demo-3b."""
    demo = seed_tree / "families" / "demo.yaml"
    text = demo.read_text()
    start, end = text.index("  - slug: demo-open"), text.index("  - slug: demo-api")
    added = (
        "  - slug: demo-3b\n    name: Demo 3B\n    source: paper\n    access: open-weights\n"
        "    openness: open-weights-permissive\n    input_modalities: [text]\n"
        "    output_modalities: [text]\n    architecture: dense\n    total_params: 3B\n"
        "    stage: base\n"
    )
    rest = text[end:].replace("context_length: 200000", "context_length: 400000")
    demo.write_text(text[:start] + added + rest)


def test_first_load_logs_one_addition_per_entity(engine: Engine, seed_tree: Path) -> None:
    desired = records_of(seed_tree)
    load_records(engine, desired, commit="a" * 40)
    entries = log(engine)
    added = {(e["kind"], e["slug"]) for e in entries}
    assert added == {
        *(("organization", s) for s in desired.organizations),
        *(("family", s) for s in desired.families),
        *(("model", s) for s in desired.models),
    }
    assert len(entries) == len(added)
    assert all(e["action"] == "added" and e["field"] is None for e in entries)
    assert all(e["revision"] == desired.revision() and e["git_commit"] == "a" * 40 for e in entries)
    demo_7b = next(e for e in entries if e["slug"] == "demo-7b")
    assert demo_7b["new"]["total_params"] == 6_740_000_000 and demo_7b["family"] == "demo"
    assert demo_7b["source"] == "https://arxiv.org/abs/2401.00001"  # the model's own source
    (revision,) = revisions(engine)
    assert (revision["models"], revision["models_added"], revision["changes"]) == (5, 5, 8)


def test_one_change_one_addition_one_removal_log_exactly_those(
    engine: Engine, seed_tree: Path
) -> None:
    before = records_of(seed_tree)
    load_records(engine, before)
    first = len(log(engine))
    edit(seed_tree)
    after = records_of(seed_tree)
    load_records(engine, after)
    entries = log(engine)[first:]
    assert [(e["kind"], e["slug"], e["action"], e["field"]) for e in entries] == [
        ("model", "demo-3b", "added", None),
        ("model", "demo-api", "changed", "context_length"),
        ("model", "demo-open", "removed", None),
    ]
    added, changed, removed = entries
    assert added["new"] == after.models["demo-3b"] and added["old"] is None
    assert (changed["old"], changed["new"]) == (200000, 400000)
    # The source of the value: the claim behind demo-api's context length.
    assert changed["source"] == after.models["demo-api"]["claims"]["context_length"][0]
    assert removed["old"] == before.models["demo-open"] and removed["new"] is None
    assert {e["revision"] for e in entries} == {after.revision()}
    last = revisions(engine)[-1]
    assert (last["models_added"], last["models_changed"], last["models_removed"]) == (1, 1, 1)
    assert last["changes"] == 3 and last["models"] == 5


def test_a_changed_source_is_logged_as_its_own_field(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    first = len(log(engine))
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(
        demo.read_text().replace(
            "training_tokens: {value: 1.4T, source: paper, note: from the paper's table 1}",
            "training_tokens: {value: 1.5T, source: card}",
        )
    )
    load_records(engine, records_of(seed_tree))
    entries = {e["field"]: e for e in log(engine)[first:]}
    assert {"training_tokens", "tokens_per_param", "sources.training_tokens"} <= set(entries)
    assert (entries["training_tokens"]["old"], entries["training_tokens"]["new"]) == (
        1_400_000_000_000,
        1_500_000_000_000,
    )
    source = entries["sources.training_tokens"]
    assert source["old"]["url"] == "https://arxiv.org/abs/2401.00001"
    assert source["new"]["url"] == "https://huggingface.co/acme/demo-8x1b"
    assert entries["training_tokens"]["source"] == "https://huggingface.co/acme/demo-8x1b"


def test_an_unchanged_load_logs_nothing(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    before = (log(engine), revisions(engine))
    assert load_records(engine, records_of(seed_tree)).empty
    assert (log(engine), revisions(engine)) == before


@pytest.mark.parametrize("broken", ["load", "log"])
def test_a_failed_load_writes_no_log_entry(
    engine: Engine, seed_tree: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    load_records(engine, records_of(seed_tree))
    before = table_rows(engine)
    edit(seed_tree)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    if broken == "load":
        monkeypatch.setattr(load_module, "_replace_children", explode)
    else:  # the log itself fails: the load's own writes go too
        monkeypatch.setattr(store, "record_revision", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        load_records(engine, records_of(seed_tree))
    assert table_rows(engine) == before


def test_each_revision_keeps_its_records(engine: Engine, seed_tree: Path) -> None:
    first = records_of(seed_tree)
    load_records(engine, first)
    edit(seed_tree)
    load_records(engine, records_of(seed_tree))
    with engine.connect() as connection:
        data = connection.execute(
            sa.text("SELECT records FROM revision_snapshot WHERE revision = :r"),
            {"r": first.revision()},
        ).scalar_one()
    kept = decode_records(bytes(data))
    assert kept == first and kept.revision() == first.revision()
