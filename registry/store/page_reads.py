"""A page of the model list in one database read, or in none.

Once this process's filter index (``model_index``) is built, a page of ``/api/v1/models`` needs
only its documents: ``model_page_in_one_read`` reads them together with the loaded revision in one
statement outside any transaction (on an asyncio connection too), and uses them only if that is
the revision the index was built from. The documents read are kept in a ``DocumentMemo``, and
``model_page_from_memory`` answers a page whose documents are all held without the database, as
long as the index is of the revision the server last read (docs/PERFORMANCE.md). Either returns
None when it cannot answer, and the transactional path (``queries.list_model_documents``) does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registry.store.documents import DocumentMemo, versioned_bodies, versioned_bodies_async
from registry.store.filters import ModelFilters
from registry.store.model_index import page_from_cache
from registry.store.queries import seeds_revision


def model_page_in_one_read(
    connection: sa.Connection, *, filters: ModelFilters, memo: DocumentMemo | None = None
) -> tuple[list[bytes], int] | None:
    """``list_model_documents`` in one statement, on a connection outside any transaction: the
    page comes from this process's index, and the documents are read together with the loaded
    revision, which must be the index's (else None: the caller takes the transactional path, which
    rebuilds the index). One round trip instead of five on PostgreSQL (docs/PERFORMANCE.md).
    The documents read are left in ``memo`` for ``model_page_from_memory``."""
    found = page_from_cache(connection.engine, filters)
    if found is None:
        return None
    return _checked_page(found, *versioned_bodies(connection, found[0]), memo)


async def model_page_in_one_read_async(
    engine: Engine, connection: Any, *, filters: ModelFilters, memo: DocumentMemo | None = None
) -> tuple[list[bytes], int] | None:
    """``model_page_in_one_read`` on an asyncio connection to ``engine``'s database: on
    PostgreSQL the round trip then needs no worker thread (docs/PERFORMANCE.md)."""
    found = page_from_cache(engine, filters)
    if found is None:
        return None
    return _checked_page(found, *await versioned_bodies_async(connection, found[0]), memo)


def model_page_from_memory(
    engine: Engine, *, filters: ModelFilters, revision: str | None, memo: DocumentMemo
) -> tuple[list[bytes], int] | None:
    """``list_model_documents`` without the database: the page from this process's index and
    its documents from ``memo``, when the index is of ``revision`` (the data revision as the
    server last read it, ``revision_of``) and ``memo`` holds every document of the page for the
    index's version. Else None, and a read answers. An answer is then as fresh as the revision
    the server knows, as a response-cache hit is (docs/PERFORMANCE.md)."""
    if revision is None:
        return None
    found = page_from_cache(engine, filters)
    if found is None:
        return None
    ids, count, version = found
    if seeds_revision(revision) != version[0]:
        return None
    bodies = memo.get(version, ids)
    return None if bodies is None else (bodies, count)


def _checked_page(
    found: tuple[list[int], int, tuple[str, str]],
    loaded: tuple[str, str] | None,
    bodies: dict[int, bytes],
    memo: DocumentMemo | None,
) -> tuple[list[bytes], int] | None:
    """The page of the index's ``found`` ids made of ``bodies``, read at revision ``loaded``:
    None unless that is the index's revision and every document was there; the documents are
    left in ``memo``."""
    ids, count, version = found
    if loaded != version or len(bodies) < len(ids):
        return None
    if memo is not None:
        memo.keep(version, bodies)
    return [bodies[i] for i in ids], count
