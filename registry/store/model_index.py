"""The model filters answered from columns held in memory, one copy per database and data revision.

A page of ``/api/v1/models`` needs the matching models' count and the ids of one page in the asked
order. In SQL the count visits every matching row (10,000 rows: several milliseconds; 100,000: ten
times that). The filterable columns of every model fit in a few arrays (about 100 bytes a model),
so each process keeps them, tagged with the revision of the data they were read from, and answers
a filter with vectorised comparisons: the count and the page cost well under a millisecond at
100,000 models, on SQLite and PostgreSQL alike (docs/PERFORMANCE.md).

The SQL of ``registry.store.selection`` stays the reference: the orders are read from the database
with ``order_of`` itself (collation, NULLs last and the slug tie-break included), the conditions
mirror ``conditions_of`` one for one, and a test compares both on random filters on both databases.
A search (``q``) goes to SQL. Each request reads the loaded revision in its own transaction and
uses the arrays only if they were built from that revision, so an answer never mixes two loads.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry.models import DatasetRevision, Family, Model, ModelModality, Organization
from registry.store.filters import OPEN_WEIGHTS_ACCESS, ModelFilters
from registry.store.selection import joined, order_of

CATEGORIES = ("access", "openness", "architecture", "stage", "family", "organization")
BOUNDS = (
    ("min_context", "context_length", np.greater_equal),
    ("max_context", "context_length", np.less_equal),
    ("min_params", "total_params", np.greater_equal),
    ("max_params", "total_params", np.less_equal),
    ("min_active_params", "active_params", np.greater_equal),
    ("max_active_params", "active_params", np.less_equal),
    ("released_after", "release_date", np.greater_equal),
    ("released_before", "release_date", np.less_equal),
)
NUMBERS = ("context_length", "total_params", "active_params", "release_date")


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _ordinal(value: Any) -> int:
    return value.toordinal() if isinstance(value, dt.date) else int(value)


@dataclass
class ModelIndex:
    """The filterable columns of every model at one revision (position i holds model ids[i])."""

    version: tuple[str, str]
    ids: np.ndarray
    codes: dict[str, np.ndarray]  # a category's value code per model (-1: no value)
    vocabulary: dict[str, dict[str, int]]  # a category's values and their codes
    numbers: dict[str, np.ndarray]  # int64 per model
    known: dict[str, np.ndarray]  # whether the number is recorded (SQL NULL compares false)
    reasoning: np.ndarray
    modalities: dict[str, np.ndarray]  # direction -> bit set of modalities per model
    modality_bits: dict[str, int]
    orders: dict[str, np.ndarray] = field(default_factory=dict)  # sort key -> positions in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mask(self, filters: ModelFilters) -> np.ndarray:
        """Which models ``filters`` select (``selection.conditions_of``, vectorised)."""
        keep = np.ones(len(self.ids), dtype=bool)
        for name in CATEGORIES:
            values = getattr(filters, name)
            if values:
                keep &= self._among(name, values)
        if filters.reasoning is not None:
            keep &= self.reasoning == int(filters.reasoning)
        if filters.open_weights is not None:
            found = self._among("access", OPEN_WEIGHTS_ACCESS)
            keep &= found if filters.open_weights else ~found
        for direction, modalities in (
            ("input", filters.input_modality),
            ("output", filters.output_modality),
        ):
            for modality in set(map(_plain, modalities)):
                bit = self.modality_bits.get(modality)
                if bit is None:
                    return np.zeros(len(self.ids), dtype=bool)
                keep &= (self.modalities[direction] & bit) != 0
        for name, column, compare in BOUNDS:
            value = getattr(filters, name)
            if value is not None:
                keep &= self.known[column] & compare(self.numbers[column], _ordinal(value))
        return keep

    def _among(self, name: str, values: Any) -> np.ndarray:
        """Whether each model's ``name`` is one of ``values``: one comparison for one value, else
        a lookup table indexed by the value codes (a model with no value has code -1, the
        table's last, always false, slot)."""
        vocabulary = self.vocabulary[name]
        wanted = {vocabulary[v] for v in map(_plain, values) if v in vocabulary}
        if len(wanted) <= 1:
            code = wanted.pop() if wanted else -2  # -2: no model has it
            return self.codes[name] == code
        table = np.zeros(len(vocabulary) + 1, dtype=bool)
        table[list(wanted)] = True
        return table[self.codes[name]]

    def page(self, keep: np.ndarray, order: np.ndarray, offset: int, limit: int) -> list[int]:
        """The ids of the models ``keep`` selects at positions ``offset`` to ``offset + limit``
        of ``order``. It looks through the order a stretch at a time, growing fourfold, and stops
        once the page is full: a page near the front (the usual case) does not reorder the whole
        mask."""
        wanted = offset + limit
        found: list[np.ndarray] = []
        got, start, stretch = 0, 0, max(1024, 4 * wanted)
        while got < wanted and start < order.size:
            part = order[start : start + stretch]
            hits = part[keep[part]]
            found.append(hits)
            got += hits.size
            start += stretch
            stretch *= 4
        if not found:
            return []
        return self.ids[np.concatenate(found)[offset:wanted]].tolist()


def _read(session: Session, version: tuple[str, str]) -> ModelIndex:
    statement = joined(
        select(
            Model.id,
            Model.access,
            Model.openness,
            Model.architecture,
            Model.stage,
            Family.slug,
            Organization.slug,
            Model.reasoning,
            Model.context_length,
            Model.total_params,
            Model.active_params,
            Model.release_date,
        )
    ).order_by(col(Model.id))
    rows = session.exec(statement).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 12
    ids = np.array(columns[0], dtype=np.int64)
    codes: dict[str, np.ndarray] = {}
    vocabulary: dict[str, dict[str, int]] = {}
    for name, values in zip(CATEGORIES, columns[1:7], strict=True):
        plain = [_plain(v) for v in values]
        vocabulary[name] = {v: i for i, v in enumerate(sorted({v for v in plain if v is not None}))}
        codes[name] = np.array(
            [-1 if v is None else vocabulary[name][v] for v in plain], dtype=np.int32
        )
    reasoning = np.array([-1 if v is None else int(v) for v in columns[7]], dtype=np.int8)
    numbers: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for name, values in zip(NUMBERS, columns[8:], strict=True):
        known[name] = np.array([v is not None for v in values], dtype=bool)
        numbers[name] = np.array([0 if v is None else _ordinal(v) for v in values], dtype=np.int64)
    position = {int(model_id): i for i, model_id in enumerate(ids)}
    bits = {m: 1 << i for i, m in enumerate(sorted({
        _plain(m) for m in session.exec(select(ModelModality.modality).distinct()).all()
    }))}  # fmt: skip
    modalities = {"input": np.zeros(len(ids), np.int64), "output": np.zeros(len(ids), np.int64)}
    for model_id, direction, modality in session.exec(
        select(ModelModality.model_id, ModelModality.direction, ModelModality.modality)
    ).all():
        i = position.get(model_id)
        if i is not None:
            modalities[_plain(direction)][i] |= bits[_plain(modality)]
    return ModelIndex(version, ids, codes, vocabulary, numbers, known, reasoning, modalities, bits)


def _order(index: ModelIndex, session: Session, sort: str) -> np.ndarray:
    """The positions of every model in ``sort`` order, as the database orders them."""
    found = index.orders.get(sort)
    if found is None:
        statement = joined(select(Model.id)).order_by(*order_of(ModelFilters(sort=sort)))
        ordered = np.fromiter(session.exec(statement).all(), dtype=np.int64, count=len(index.ids))
        found = index.orders[sort] = np.searchsorted(index.ids, ordered)
    return found


# One index per connection pool (a database), replaced when the data's revision changes.
_INDEXES: weakref.WeakKeyDictionary[Any, ModelIndex] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()
VERSION_SQL = sa.select(DatasetRevision.revision, DatasetRevision.loaded_at).where(
    DatasetRevision.id == 1
)


def _version(session: Session) -> tuple[str, str] | None:
    row = session.connection().execute(VERSION_SQL).first()
    return None if row is None else (str(row[0]), str(row[1]))


def index_for(session: Session) -> ModelIndex | None:
    """The index of the data this session reads (built on first use); None before any load."""
    version = _version(session)
    if version is None:
        return None
    pool = session.get_bind().pool  # type: ignore[union-attr]
    found = _INDEXES.get(pool)
    if found is not None and found.version == version:
        return found
    with _BUILDING:
        found = _INDEXES.get(pool)
        if found is None or found.version != version:
            found = _read(session, version)
            if found.version == _version(session):
                _INDEXES[pool] = found
    return found


def page_from_cache(
    bind: Any, filters: ModelFilters
) -> tuple[list[int], int, tuple[str, str]] | None:
    """The page from the index this process last built for ``bind``'s database, without reading
    the database: ids, count and the revision the index was built from (the caller checks that
    revision in the same read as the documents). None when there is no index yet, the order
    asked for has not been read yet, or the filters hold a search."""
    index = _INDEXES.get(bind.pool)
    if index is None or filters.q:
        return None
    order = index.orders.get(filters.sort)
    if order is None:
        return None
    keep = index.mask(filters)
    page = index.page(keep, order, filters.offset, filters.limit)
    return page, int(np.count_nonzero(keep)), index.version


def select_page(session: Session, filters: ModelFilters) -> tuple[Sequence[int], int] | None:
    """The ids of the page ``filters`` ask for, in order, and how many match in all; None when
    the index cannot answer (a search, or no data loaded) and SQL must."""
    if filters.q:
        return None
    index = index_for(session)
    if index is None:
        return None
    keep = index.mask(filters)
    with index.lock:
        order = _order(index, session, filters.sort)
    return index.page(keep, order, filters.offset, filters.limit), int(np.count_nonzero(keep))
