"""The in-memory model index answers every filter exactly as the SQL does, on both databases, and
the stored documents are exactly the models' public JSON."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from tests_support import MINI_SEEDS

from registry.models import Access, ArchitectureKind, Modality, Openness, Stage
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import queries
from registry.store.documents import document, missing_documents
from registry.store.filters import SORTABLE, ModelFilters, search_key
from registry.store.model_index import select_page


@pytest.fixture(scope="module")
def project_engine(project_seeded_engine: Engine) -> Engine:
    """The project's own seeds (every family), loaded once per backend."""
    return project_seeded_engine


def sql_page(session: Session, filters: ModelFilters) -> tuple[list[str], int]:
    data, count = queries._list_models_sql(session, filters=filters)
    return [m.slug for m in data], count


def index_page(session: Session, filters: ModelFilters) -> tuple[list[str], int]:
    found = select_page(session, filters)
    assert found is not None
    ids, count = found
    slugs = {i: s for s, i in session.exec(queries.select(queries.Model.slug, queries.Model.id))}
    return [slugs[i] for i in ids], count


COUNTS = st.sampled_from([None, 1, 1_000_000_000, 7_000_000_000, 70_000_000_000, 10**12])
CONTEXTS = st.sampled_from([None, 2048, 8192, 32768, 128_000, 131_072, 1_000_000])
DATES = st.sampled_from([None, dt.date(2020, 1, 1), dt.date(2023, 6, 1), dt.date(2025, 1, 1)])
FAMILIES = st.lists(st.sampled_from(["llama", "qwen", "gpt", "mistral", "nope"]), max_size=2)
ORGS = st.lists(st.sampled_from(["meta", "openai", "alibaba", "google", "nope"]), max_size=2)
filters_strategy = st.builds(
    ModelFilters,
    family=FAMILIES,
    organization=ORGS,
    access=st.lists(st.sampled_from(list(Access)), max_size=2),
    open_weights=st.sampled_from([None, True, False]),
    openness=st.lists(st.sampled_from(list(Openness)), max_size=2),
    architecture=st.lists(st.sampled_from(list(ArchitectureKind)), max_size=1),
    stage=st.lists(st.sampled_from(list(Stage)), max_size=2),
    reasoning=st.sampled_from([None, True, False]),
    input_modality=st.lists(st.sampled_from(list(Modality)), max_size=2),
    output_modality=st.lists(st.sampled_from(list(Modality)), max_size=1),
    min_context=CONTEXTS,
    max_context=CONTEXTS,
    min_params=COUNTS,
    max_params=COUNTS,
    min_active_params=COUNTS,
    max_active_params=COUNTS,
    released_after=DATES,
    released_before=DATES,
    sort=st.sampled_from([key for c in SORTABLE for key in (c, f"-{c}")]),
    limit=st.sampled_from([1, 7, 50, 500]),
    offset=st.sampled_from([0, 3, 40, 1000]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=filters_strategy)
def test_the_index_selects_what_the_sql_selects(
    project_engine: Engine, filters: ModelFilters
) -> None:
    with Session(project_engine) as session:
        assert index_page(session, filters) == sql_page(session, filters)


@pytest.mark.parametrize("sort", [key for c in SORTABLE for key in (c, f"-{c}")])
def test_every_order_matches_the_database(project_engine: Engine, sort: str) -> None:
    """Orders come from the database itself: collation, NULLs last and the slug tie-break."""
    filters = ModelFilters(sort=sort, limit=500)
    with Session(project_engine) as session:
        assert index_page(session, filters) == sql_page(session, filters)


def test_a_search_goes_to_sql(project_engine: Engine) -> None:
    with Session(project_engine) as session:
        assert select_page(session, ModelFilters(q="llama")) is None
        data, count = queries.list_models(session, filters=ModelFilters(q="llama 3"))
        assert count > 0
        assert all("llama3" in search_key(m.name) or "llama3" in search_key(m.slug) for m in data)


def test_stored_documents_are_the_public_json(project_engine: Engine) -> None:
    """What the list sends is byte for byte what building each model from its rows gives."""
    filters = ModelFilters(open_weights=True, min_context=131_072, sort="-total_params", limit=60)
    with Session(project_engine) as session:
        built, count = queries._list_models_sql(session, filters=filters)
        stored, stored_count = queries.list_model_documents(session, filters=filters)
        assert count == stored_count > 50
        assert stored == [document(m) for m in built]
        fast, _ = queries.list_models(session, filters=filters)
        assert fast == built


def test_a_load_replaces_the_index(seeded_engine: Engine, seed_tree: Path) -> None:
    """After a load, the next read sees the new data: the index is tagged with its revision."""
    filters = ModelFilters(sort="name", limit=500)
    with Session(seeded_engine) as session:
        before = index_page(session, filters)
    family = seed_tree / "families" / "demo.yaml"
    family.write_text(family.read_text().replace("name: Demo 7B\n", "name: Zeta 7B\n", 1))
    tree = validate_tree(seed_tree)
    assert tree.ok, tree.problems
    load_records(seeded_engine, tree_records(tree))
    with Session(seeded_engine) as session:
        after = index_page(session, filters)
        assert after == sql_page(session, filters)
        names = [m.name for m in queries.list_models(session, filters=filters)[0]]
    assert after[0][-1] == "demo-7b" != before[0][-1]  # now last by name
    assert "Zeta 7B" in names and "Demo 7B" not in names
    assert before[1] == after[1]


def test_a_migrated_database_gets_its_documents_on_the_next_seed(seeded_engine: Engine) -> None:
    """Documents missing (a database migrated past 0007 before its next load) are built from
    the rows meanwhile, and ``registry seed`` writes them even when the seeds did not change."""
    with seeded_engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM model_document")
        assert missing_documents(connection) > 0
    with Session(seeded_engine) as session:
        built, _ = queries._list_models_sql(session, filters=ModelFilters(limit=500))
        assert queries.list_models(session, filters=ModelFilters(limit=500))[0] == built
    changes = load_records(seeded_engine, tree_records(validate_tree(MINI_SEEDS)))
    assert changes.empty
    with seeded_engine.connect() as connection:
        assert missing_documents(connection) == 0
    with Session(seeded_engine) as session:
        stored, _ = queries.list_model_documents(session, filters=ModelFilters(limit=500))
        assert stored == [document(m) for m in built]
