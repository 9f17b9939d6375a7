"""Migrations run up, down to base and up again on both databases, and match the models."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from registry.store import migrate
from registry.store.engine import create_db_engine

TABLES = {
    "organization",
    "family",
    "model",
    "model_modality",
    "lineage",
    "evaluation",
    "benchmark",
    "claim",
    "dataset_revision",
    "probe_run",
    "revision",
    "change_log",
    "revision_snapshot",
    "model_document",
}


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert tables(empty_engine) == TABLES
    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert tables(empty_engine) == set()
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert tables(empty_engine) == TABLES


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_constraints_are_named_by_the_convention(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    foreign_keys = {fk["name"] for fk in inspector.get_foreign_keys("family")}
    assert foreign_keys == {"fk_family_organization_id_organization"}
    checks = {check["name"] for check in inspector.get_check_constraints("model")}
    assert {"ck_model_access", "ck_model_openness", "ck_model_stage"} <= checks


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with engine.connect() as connection:
        try:
            connection.execute(
                sa.text("INSERT INTO family (slug, name, organization_id) VALUES ('x', 'X', 999)")
            )
            connection.commit()
        except sa.exc.IntegrityError:
            connection.rollback()
        else:
            raise AssertionError("a family pointing at a missing organization was accepted")


def test_sqlite_uses_write_ahead_logging(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_database_behind_the_code_is_refused(empty_engine: Engine) -> None:
    from registry.errors import DatabaseError

    try:
        migrate.ensure_current(empty_engine)
    except DatabaseError as exc:
        assert "run `registry db upgrade`" in exc.message
    else:
        raise AssertionError("an empty database passed as current")
