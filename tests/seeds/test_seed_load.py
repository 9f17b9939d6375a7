"""Loading seeds: derived values, idempotence, deletions, change reports and all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests_support import table_rows

from registry.seeds import load as load_module
from registry.seeds.load import load_records, read_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree


def records_of(path: Path):  # type: ignore[no-untyped-def]
    tree = validate_tree(path)
    assert tree.ok, tree.problems
    return tree_records(tree)


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql)).scalar()


def test_first_load_adds_everything_and_derives_values(engine: Engine, seed_tree: Path) -> None:
    changes = load_records(engine, records_of(seed_tree))
    assert changes.models.added == ["demo-7b", "demo-7b-chat", "demo-8x1b", "demo-api", "demo-open"]
    assert changes.organizations.added == ["acme", "zeta"]
    # tokens per parameter = tokens / active params; 6·N·D with active N where none is reported.
    assert scalar(
        engine, "SELECT tokens_per_param FROM model WHERE slug='demo-7b'"
    ) == pytest.approx(2e12 / 6.74e9)
    assert scalar(engine, "SELECT training_flops FROM model WHERE slug='demo-7b'") == pytest.approx(
        6 * 6.74e9 * 2e12
    )
    assert scalar(
        engine, "SELECT tokens_per_param FROM model WHERE slug='demo-8x1b'"
    ) == pytest.approx(1.4e12 / 1.9e9)
    # A reported figure wins over 6·N·D.
    assert scalar(
        engine, "SELECT training_flops FROM model WHERE slug='demo-8x1b'"
    ) == pytest.approx(1.6e22)
    assert scalar(engine, "SELECT active_params FROM model WHERE slug='demo-7b'") == 6_740_000_000
    assert scalar(engine, "SELECT context_length FROM model WHERE slug='demo-8x1b'") == 32 * 1024


def test_provenance_and_undisclosed_are_recorded(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    with engine.connect() as connection:
        claims = {
            row.field: row
            for row in connection.execute(
                sa.text(
                    "SELECT c.* FROM claim c JOIN model m ON m.id = c.model_id WHERE m.slug='demo-8x1b'"
                )
            )
        }
        undisclosed = {
            row.field
            for row in connection.execute(
                sa.text(
                    "SELECT c.field FROM claim c JOIN model m ON m.id = c.model_id "
                    "WHERE m.slug='demo-api' AND c.undisclosed"
                )
            )
        }
    assert claims["training_tokens"].source_url == "https://arxiv.org/abs/2401.00001"
    assert claims["training_tokens"].note == "from the paper's table 1"
    assert claims["total_params"].source_url == "https://huggingface.co/acme/demo-8x1b"
    assert claims["tokens_per_param"].confidence == "derived"
    assert undisclosed == {"architecture", "total_params", "training_tokens"}
    assert scalar(engine, "SELECT total_params FROM model WHERE slug='demo-api'") is None


def test_second_load_changes_nothing(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    before = table_rows(engine)
    changes = load_records(engine, records_of(seed_tree))
    assert changes.empty
    assert table_rows(engine) == before


def test_database_reads_back_as_the_seed_records(engine: Engine, seed_tree: Path) -> None:
    desired = records_of(seed_tree)
    load_records(engine, desired)
    with engine.connect() as connection:
        assert read_records(connection) == desired


def test_changes_and_deletions_are_applied_and_reported(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    demo = seed_tree / "families" / "demo.yaml"
    text = demo.read_text()
    start = text.index("  - slug: demo-open")
    end = text.index("  - slug: demo-api")
    demo.write_text(
        text[:start] + text[end:].replace("context_length: 200000", "context_length: 400000")
    )
    changes = load_records(engine, records_of(seed_tree))
    assert changes.models.removed == ["demo-open"]
    assert changes.models.changed == {"demo-api": {"context_length": (200000, 400000)}}
    assert scalar(engine, "SELECT count(*) FROM model WHERE slug='demo-open'") == 0
    assert scalar(engine, "SELECT context_length FROM model WHERE slug='demo-api'") == 400000
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM claim c JOIN model m ON m.id=c.model_id WHERE m.slug='demo-open'",
        )
        == 0
    )


def test_failure_midway_leaves_every_table_as_it_was(
    engine: Engine, seed_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_records(engine, records_of(seed_tree))
    before = table_rows(engine)
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(
        demo.read_text()
        .replace("name: Demo 7B\n", "name: Demo 7B renamed\n")
        .replace("  - slug: demo-open", "  - slug: demo-open-2")
    )

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # Models were already inserted and updated when the children fail to write.
    monkeypatch.setattr(load_module, "_replace_children", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        load_records(engine, records_of(seed_tree))
    assert table_rows(engine) == before


def test_revision_changes_with_content_only(engine: Engine, seed_tree: Path) -> None:
    load_records(engine, records_of(seed_tree))
    first = scalar(engine, "SELECT revision FROM dataset_revision")
    assert first == records_of(seed_tree).revision()
    demo = seed_tree / "families" / "demo.yaml"
    demo.write_text(demo.read_text().replace("score: 45.3", "score: 45.4"))
    load_records(engine, records_of(seed_tree))
    assert scalar(engine, "SELECT revision FROM dataset_revision") != first
