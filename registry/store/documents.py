"""Each model's public JSON, stored beside it (table ``model_document``).

Data changes only when seeds load, so the loader writes the public shape of every model it adds or
changes (``write_documents``, in the load's own transaction), and reads fetch ready bytes by
primary key instead of building each model from its row, modalities and claims on every request
(docs/PERFORMANCE.md). A model without a document (a database migrated but not yet reloaded) is
built from its rows, so the answers never depend on whether the documents exist.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from cachetools import LRUCache
from pydantic_core import to_json
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from registry.models import Family, Model, ModelDocument, ModelPublic, Organization

DOCUMENT = ModelDocument.__table__
BATCH = 500  # models built per query while writing


def write_documents(connection: Connection, model_ids: Iterable[int] | None = None) -> int:
    """(Re)write the documents of ``model_ids`` (default: every model); return how many."""
    from registry.store.queries import public_models

    if model_ids is None:
        model_ids = [row[0] for row in connection.execute(sa.select(Model.__table__.c.id))]
    ids = sorted(set(model_ids))
    session = Session(bind=connection)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        connection.execute(DOCUMENT.delete().where(DOCUMENT.c.model_id.in_(batch)))
        rows = session.exec(
            select(Model, Family.slug, Organization.slug)
            .join(Family, col(Family.id) == Model.family_id)
            .join(Organization, col(Organization.id) == Model.organization_id)
            .where(col(Model.id).in_(batch))
        ).all()
        models = public_models(session, rows)
        connection.execute(
            DOCUMENT.insert(),
            [
                {"model_id": model_id, "body": document(model)}
                for (model_row, _, _), model in zip(rows, models, strict=True)
                if (model_id := model_row.id) is not None
            ],
        )
        session.expunge_all()
    return len(ids)


def document(model: ModelPublic) -> bytes:
    """The stored JSON of one model: exactly the bytes the API writes for it."""
    return to_json(model)


def missing_documents(connection: Connection) -> int:
    """How many models have no document (after a migration, before the next load)."""
    models = Model.__table__
    statement = (
        sa.select(sa.func.count())
        .select_from(models.outerjoin(DOCUMENT, DOCUMENT.c.model_id == models.c.id))
        .where(DOCUMENT.c.model_id.is_(None))
    )
    return int(connection.execute(statement).scalar_one())


# One bound parameter for the whole list of ids, so the statement's text never changes and its
# compiled form is reused (an IN list of 50 bound values is compiled anew for each length).
BODIES_SQL = {
    "sqlite": sa.text(
        "SELECT model_id, body FROM model_document "
        "WHERE model_id IN (SELECT value FROM json_each(:ids))"
    ),
    # As text, not hex-encoded bytea (see _WITH_VERSION below); encoded back in document_bodies.
    "postgresql": sa.text(
        "SELECT model_id, convert_from(body, 'UTF8') FROM model_document "
        "WHERE model_id = ANY(:ids)"
    ),
}


def document_bodies(session: Session, model_ids: Sequence[int]) -> dict[int, bytes]:
    """The stored documents of ``model_ids`` that exist, by model id (one indexed query)."""
    if not model_ids:
        return {}
    connection = session.connection()
    statement = BODIES_SQL.get(connection.dialect.name)
    if statement is None:  # another database: a plain IN list
        statement = sa.select(DOCUMENT.c.model_id, DOCUMENT.c.body).where(
            DOCUMENT.c.model_id.in_(model_ids)
        )
        return dict(connection.execute(statement).all())
    ids = json.dumps(list(model_ids)) if connection.dialect.name == "sqlite" else list(model_ids)
    return {
        model_id: body if isinstance(body, bytes) else body.encode()
        for model_id, body in connection.execute(statement, {"ids": ids}).all()
    }


# The page's documents and the loaded revision in one statement, so one round trip on a connection
# without a transaction still sees one snapshot (``page_reads.model_page_in_one_read``).
# PostgreSQL sends bytea as hex in its text protocol, twice the document's size and a hex decode
# on arrival; the documents are UTF-8 JSON, so they travel as text instead (a page read in about
# 0.6 of the time, docs/PERFORMANCE.md) and are encoded back to the same bytes here.
_WITH_VERSION = (
    "SELECT r.revision, r.loaded_at, d.model_id, {body} FROM dataset_revision r "
    "LEFT JOIN model_document d ON {ids} WHERE r.id = 1"
)
VERSIONED_BODIES_SQL = {
    "sqlite": _WITH_VERSION.format(
        body="d.body", ids="d.model_id IN (SELECT value FROM json_each(:ids))"
    ),
    "postgresql": _WITH_VERSION.format(
        body="convert_from(d.body, 'UTF8')", ids="d.model_id = ANY(:ids)"
    ),
}
# The same read on psycopg's own asyncio cursor, in the binary format (``versioned_bodies_async``).
PSYCOPG_BINARY_SQL = _WITH_VERSION.format(body="d.body", ids="d.model_id = ANY(%s)")


def versioned_statement(dialect: str) -> tuple[sa.TextClause, bool] | None:
    """The statement that reads documents with the loaded revision on ``dialect``, and whether
    it takes the ids as JSON text (SQLite) rather than an array (PostgreSQL)."""
    sql = VERSIONED_BODIES_SQL.get(dialect)
    if sql is None:
        return None
    statement = sa.text(sql).columns(
        sa.column("revision", sa.String),
        sa.column("loaded_at", sa.DateTime(timezone=True)),
        sa.column("model_id", sa.Integer),
        sa.column("body", sa.LargeBinary if dialect == "sqlite" else sa.Text),
    )
    return statement, dialect == "sqlite"


def versioned_parameters(model_ids: Sequence[int], as_json: bool) -> dict[str, Any]:
    return {"ids": json.dumps(list(model_ids)) if as_json else list(model_ids)}


def versioned_rows(rows: Sequence[Any]) -> tuple[tuple[str, str] | None, dict[int, bytes]]:
    """The revision (as ``model_index`` tags it) and the documents by id, from those rows."""
    if not rows:
        return None, {}
    version = (str(rows[0][0]), str(rows[0][1]))
    return version, {
        row[2]: row[3] if isinstance(row[3], bytes) else row[3].encode()
        for row in rows
        if row[2] is not None
    }


def versioned_bodies(
    connection: Connection, model_ids: Sequence[int]
) -> tuple[tuple[str, str] | None, dict[int, bytes]]:
    """The loaded revision (as ``model_index`` tags it) and the stored documents of
    ``model_ids``, read in one statement; (None, {}) on a database this does not support."""
    found = versioned_statement(connection.dialect.name)
    if found is None:
        return None, {}
    statement, as_json = found
    rows = connection.execute(statement, versioned_parameters(model_ids, as_json)).all()
    return versioned_rows(rows)


async def versioned_bodies_async(
    connection: Any, model_ids: Sequence[int]
) -> tuple[tuple[str, str] | None, dict[int, bytes]]:
    """``versioned_bodies`` on an asyncio connection (``sqlalchemy.ext.asyncio``). With psycopg
    the read goes to the driver's own cursor in PostgreSQL's binary format, in which bytea
    travels as it is stored: half the time of the text protocol's read (docs/PERFORMANCE.md)."""
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        raw = await connection.get_raw_connection()
        async with raw.driver_connection.cursor(binary=True) as cursor:
            await cursor.execute(PSYCOPG_BINARY_SQL, (list(model_ids),), prepare=True)
            return versioned_rows(await cursor.fetchall())
    found = versioned_statement(connection.dialect.name)
    if found is None:
        return None, {}
    statement, as_json = found
    result = await connection.execute(statement, versioned_parameters(model_ids, as_json))
    return versioned_rows(result.all())


class DocumentMemo:
    """Documents of one data version kept in this process's memory, at most ``max_bytes`` of
    them (least recently used go first; 0 keeps none).

    Each verified read of documents (``versioned_bodies``: the documents with the revision they
    belong to) leaves them here, so that a later page made of models already read is put together
    without the database, on SQLite and PostgreSQL alike (``page_reads.model_page_from_memory``).
    A new version empties it. Reads happen on the event loop and in worker threads, hence the
    lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.version: tuple[str, str] | None = None
        self.bodies: LRUCache[int, bytes] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=len)
        self.lock = threading.Lock()

    def get(self, version: tuple[str, str], model_ids: Sequence[int]) -> list[bytes] | None:
        """The documents of ``model_ids`` in that order, if all are held for ``version``."""
        with self.lock:
            if version != self.version:
                return None
            try:
                return [self.bodies[i] for i in model_ids]
            except KeyError:
                return None

    def keep(self, version: tuple[str, str], bodies: dict[int, bytes]) -> None:
        """Hold ``bodies``, read at ``version`` (forgetting any other version's)."""
        if self.max_bytes <= 0:
            return
        with self.lock:
            if version != self.version:
                self.bodies.clear()
                self.version = version
            for model_id, body in bodies.items():
                if len(body) <= self.max_bytes:
                    self.bodies[model_id] = body

    @property
    def held_bytes(self) -> int:
        return int(self.bodies.currsize)
