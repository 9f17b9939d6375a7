"""Loading a validated seed tree into the database in one transaction.

The loader reads the database back as records, compares them with the tree's, and writes only the
difference: a second run changes nothing. Any failure rolls the whole transaction back, so the
database is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registry.models import (
    Benchmark,
    Claim,
    DatasetRevision,
    Evaluation,
    Family,
    Lineage,
    Model,
    ModelModality,
    Organization,
)
from registry.seeds.changes import ChangeSet, compare
from registry.seeds.history import record_history
from registry.seeds.records import Record, TreeRecords, canonical_rows
from registry.store.changes import data_changed
from registry.store.documents import missing_documents, write_documents

Progress = Callable[[int, int], None]
# Called with the changes and the database's records before anything is written; raising stops the
# load with the database unchanged (``registry.seeds.limits.check_mass_removal``).
Guard = Callable[[ChangeSet, TreeRecords], None]

MODEL_COLUMNS = tuple(
    c.name for c in Model.__table__.columns if c.name not in ("id", "family_id", "organization_id")
)
ORG_COLUMNS = ("slug", "name", "url", "country")
FAMILY_COLUMNS = ("slug", "name", "description", "url")
BENCHMARK_COLUMNS = tuple(c.name for c in Benchmark.__table__.columns if c.name != "id")
DIRECTIONS = {"input": "input_modalities", "output": "output_modalities"}


def read_records(connection: Connection) -> TreeRecords:
    """The database's content as records, comparable with a seed tree's."""
    records = TreeRecords()
    orgs = {row.id: row for row in connection.execute(sa.select(Organization.__table__))}
    families = {row.id: row for row in connection.execute(sa.select(Family.__table__))}
    for row in orgs.values():
        records.organizations[row.slug] = {c: getattr(row, c) for c in ORG_COLUMNS}
    for row in families.values():
        record = {c: getattr(row, c) for c in FAMILY_COLUMNS}
        record["organization"] = orgs[row.organization_id].slug
        records.families[row.slug] = record
    benchmarks: dict[int, str] = {}
    for row in connection.execute(sa.select(Benchmark.__table__)):
        benchmarks[row.id] = row.slug
        records.benchmarks[row.slug] = {c: getattr(row, c) for c in BENCHMARK_COLUMNS}
    slugs: dict[int, str] = {}
    for row in connection.execute(sa.select(Model.__table__)):
        slugs[row.id] = row.slug
        records.models[row.slug] = _model_record(row, families, orgs)
    _read_children(connection, records.models, slugs, benchmarks)
    return records


def _model_record(row: Any, families: dict[int, Any], orgs: dict[int, Any]) -> Record:
    record: Record = {}
    for column in MODEL_COLUMNS:
        value = getattr(row, column)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        record[column] = value
    record["family"] = families[row.family_id].slug
    record["organization"] = orgs[row.organization_id].slug
    record.update(input_modalities=[], output_modalities=[], claims={}, lineage=[], evaluations=[])
    return record


def _read_children(
    connection: Connection,
    models: dict[str, Record],
    slugs: dict[int, str],
    benchmarks: dict[int, str],
) -> None:
    for row in connection.execute(sa.select(ModelModality.__table__)):
        models[slugs[row.model_id]][DIRECTIONS[_value(row.direction)]].append(_value(row.modality))
    for row in connection.execute(sa.select(Claim.__table__)):
        models[slugs[row.model_id]]["claims"][row.field] = [
            row.source_url,
            _value(row.confidence),
            row.undisclosed,
            row.note,
            row.source_version,
            row.quote,
        ]
    for row in connection.execute(sa.select(Lineage.__table__)):
        models[slugs[row.child_id]]["lineage"].append(
            [slugs[row.parent_id], _value(row.relation), row.note]
        )
    for row in connection.execute(sa.select(Evaluation.__table__)):
        models[slugs[row.model_id]]["evaluations"].append(
            [
                benchmarks[row.benchmark_id],
                row.metric,
                row.shots,
                row.chain_of_thought,
                row.score,
                row.source_url,
                row.note,
            ]
        )
    for record in models.values():
        for key in ("input_modalities", "output_modalities"):
            record[key].sort()
        for key in ("lineage", "evaluations"):
            record[key] = canonical_rows(record[key])


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def load_records(
    engine: Engine,
    desired: TreeRecords,
    *,
    progress: Progress | None = None,
    commit: str | None = None,
    history: bool = True,
    guard: Guard | None = None,
) -> ChangeSet:
    """Make the database hold exactly ``desired``; return what changed (empty: nothing written).

    The change log (``registry.seeds.history``; ``commit``: the seeds' git commit, if known) is
    written in the same transaction, so a failed load records nothing (docs/HISTORY.md).
    """
    with engine.begin() as connection:
        _lock(connection)
        current = read_records(connection)
        changes = compare(current, desired)
        if changes.empty:
            if missing_documents(connection):  # migrated since the last load: fill them in
                write_documents(connection)
            return changes
        if guard is not None:
            guard(changes, current)
        all_documents = missing_documents(connection) > 0  # migrated since the last load
        _apply(connection, desired, changes, progress)
        _write_documents(connection, changes, everything=all_documents)
        revision = desired.revision()  # a hash of every record: computed once
        _write_revision(connection, desired, revision)
        if history:
            record_history(
                connection, current, desired, changes, commit=commit, revision_id=revision
            )
    data_changed()
    return changes


def _write_documents(connection: Connection, changes: ChangeSet, *, everything: bool) -> None:
    """The stored public JSON of every model added or changed (of all, if ``everything``)."""
    if everything:
        write_documents(connection)
        return
    touched = {*changes.models.added, *changes.models.changed}
    if touched:
        model = Model.__table__
        ids = connection.execute(sa.select(model.c.slug, model.c.id))
        write_documents(connection, [id_ for slug, id_ in ids if slug in touched])


def _lock(connection: Connection) -> None:
    """Serialise loads: a second load waits for the first instead of interleaving with it."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('registry-seed'))"))
    else:
        # Taking SQLite's write lock up front: a second loader waits (busy timeout) here.
        connection.execute(sa.text("DELETE FROM dataset_revision WHERE 0"))


def _apply(
    connection: Connection, desired: TreeRecords, changes: ChangeSet, progress: Progress | None
) -> None:
    org_ids = _upsert(
        connection,
        Organization,
        ORG_COLUMNS,
        desired.organizations,
        changes.organizations.added,
        changes.organizations.changed,
        {},
    )
    benchmark_ids = _upsert(
        connection,
        Benchmark,
        BENCHMARK_COLUMNS,
        desired.benchmarks,
        changes.benchmarks.added,
        changes.benchmarks.changed,
        {},
    )
    family_ids = _upsert(
        connection,
        Family,
        FAMILY_COLUMNS,
        desired.families,
        changes.families.added,
        changes.families.changed,
        {"organization_id": ("organization", org_ids)},
    )
    model_table = Model.__table__
    if changes.models.removed:
        connection.execute(
            model_table.delete().where(model_table.c.slug.in_(changes.models.removed))
        )
    touched = [*changes.models.added, *changes.models.changed]
    model_ids = _upsert(
        connection,
        Model,
        MODEL_COLUMNS,
        desired.models,
        changes.models.added,
        changes.models.changed,
        {"family_id": ("family", family_ids), "organization_id": ("organization", org_ids)},
    )
    _replace_children(connection, desired.models, touched, model_ids, benchmark_ids, progress)
    for table, removed in (
        (Benchmark, changes.benchmarks.removed),
        (Family, changes.families.removed),
        (Organization, changes.organizations.removed),
    ):
        if removed:
            connection.execute(table.__table__.delete().where(table.__table__.c.slug.in_(removed)))


def _upsert(
    connection: Connection,
    table_model: Any,
    columns: tuple[str, ...],
    records: dict[str, Record],
    added: list[str],
    changed: dict[str, Any],
    foreign: dict[str, tuple[str, dict[str, int]]],
) -> dict[str, int]:
    """Insert added rows and update changed ones; return every slug's id."""
    table = table_model.__table__
    dates = [c for c in columns if isinstance(table.c[c].type, sa.Date)]

    def row(slug: str) -> dict[str, Any]:
        record = records[slug]
        values = {c: record[c] for c in columns}
        for column in dates:
            if values[column] is not None:
                values[column] = dt.date.fromisoformat(values[column])
        for column, (key, ids) in foreign.items():
            values[column] = ids[record[key]]
        return values

    if added:
        connection.execute(table.insert(), [row(slug) for slug in added])
    for slug in changed:
        connection.execute(table.update().where(table.c.slug == slug).values(row(slug)))
    return {r.slug: r.id for r in connection.execute(sa.select(table.c.slug, table.c.id))}


def _replace_children(
    connection: Connection,
    models: dict[str, Record],
    slugs: list[str],
    ids: dict[str, int],
    benchmark_ids: dict[str, int],
    progress: Progress | None,
) -> None:
    touched = [ids[slug] for slug in slugs]
    for table in (ModelModality, Claim, Evaluation):
        connection.execute(table.__table__.delete().where(table.__table__.c.model_id.in_(touched)))
    connection.execute(Lineage.__table__.delete().where(Lineage.__table__.c.child_id.in_(touched)))
    modalities, claims, lineage, evaluations = [], [], [], []
    for done, slug in enumerate(slugs, start=1):
        record, model_id = models[slug], ids[slug]
        for direction, key in DIRECTIONS.items():
            modalities += [
                {"model_id": model_id, "direction": direction, "modality": m} for m in record[key]
            ]
        claims += [
            {
                "model_id": model_id,
                "field": name,
                "source_url": url,
                "confidence": conf,
                "undisclosed": undisclosed,
                "note": note,
                "source_version": version,
                "quote": quote,
            }
            for name, (url, conf, undisclosed, note, version, quote) in record["claims"].items()
        ]
        lineage += [
            {"child_id": model_id, "parent_id": ids[parent], "relation": relation, "note": note}
            for parent, relation, note in record["lineage"]
        ]
        evaluations += [
            {
                "model_id": model_id,
                "benchmark_id": benchmark_ids[b],
                "metric": m,
                "shots": s,
                "chain_of_thought": cot,
                "score": score,
                "source_url": url,
                "note": note,
            }
            for b, m, s, cot, score, url, note in record["evaluations"]
        ]
        if progress is not None:
            progress(done, len(slugs))
    for table, rows in (
        (ModelModality, modalities),
        (Claim, claims),
        (Lineage, lineage),
        (Evaluation, evaluations),
    ):
        if rows:
            connection.execute(table.__table__.insert(), rows)


def _write_revision(connection: Connection, desired: TreeRecords, revision: str) -> None:
    table = DatasetRevision.__table__
    connection.execute(table.delete())
    connection.execute(
        table.insert().values(
            id=1,
            revision=revision,
            loaded_at=dt.datetime.now(dt.UTC),
            models=len(desired.models),
        )
    )
