"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, and seed trees to edit.

Database tests run once per backend. PostgreSQL is the server at REGISTRY_TEST_POSTGRES_URL (default:
the local test database); each test gets a schema of its own, dropped afterwards. Without a server a
developer's run skips those tests, but on CI (CI=true) an unreachable server fails them.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS, ON_CI, POSTGRES_URL, PROJECT_SEEDS

from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine


def _postgres_engine() -> Iterator[Engine]:
    admin = create_db_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _engine(backend: str, folder: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = create_db_engine(f"sqlite:///{folder / 'registry.sqlite3'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of each backend."""
    yield from _engine(request.param, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_seeded_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A seeded database shared by a module's read-only tests (never write to it)."""
    for engine in _engine(request.param, tmp_path_factory.mktemp("shared")):
        migrate.upgrade(engine)
        tree = validate_tree(MINI_SEEDS)
        load_records(engine, tree_records(tree))
        yield engine


@pytest.fixture(scope="module", params=BACKENDS)
def project_seeded_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The project's own seeds (every family), loaded once per module and backend (read-only)."""
    for engine in _engine(request.param, tmp_path_factory.mktemp("project")):
        migrate.upgrade(engine)
        load_records(engine, tree_records(validate_tree(PROJECT_SEEDS)))
        yield engine


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database migrated to the latest revision."""
    migrate.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def postgres_seeded_engine() -> Iterator[Engine]:
    """PostgreSQL alone, migrated and holding the small test seed tree (for PostgreSQL's own
    read paths; skipped without a server except on CI)."""
    for engine in _postgres_engine():
        migrate.upgrade(engine)
        load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
        yield engine


@pytest.fixture
def seed_tree(tmp_path: Path) -> Path:
    """A copy of the small test seed tree that a test may edit."""
    target = tmp_path / "seeds"
    shutil.copytree(MINI_SEEDS, target)
    return target


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    """A migrated database holding the small test seed tree."""
    tree = validate_tree(MINI_SEEDS)
    assert tree.ok, tree.problems
    load_records(engine, tree_records(tree))
    return engine
