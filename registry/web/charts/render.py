"""Rendering a chart once: Vega-Lite spec -> SVG, cached by a key naming its data and parameters.

vl-convert takes ~0.1 s per chart, far over a page's budget, so every rendered chart is kept in a
bounded per-process LRU. Keys of charts drawn from the database start with the data revision
(``registry.store.queries.data_revision``): a new seed load changes every key, so nothing
stale is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Lock
from typing import Any, TypeVar

import altair as alt
import vl_convert
from cachetools import LRUCache
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

CHART_ENTRIES = 512
DATA_ENTRIES = 64
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A rendered chart: a DOM id, its Vega-Lite spec and the SVG vl-convert drew from it."""

    id: str
    spec: dict[str, Any]
    svg: Markup
    spec_json: Markup  # the spec as JSON safe inside <script type="application/json">


chart_cache: LRUCache[Hashable, Any] = LRUCache(maxsize=CHART_ENTRIES)
data_cache: LRUCache[Hashable, Any] = LRUCache(maxsize=DATA_ENTRIES)
_lock = Lock()


def once(cache: LRUCache[Hashable, Any], key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` computed once per ``key`` while ``cache`` keeps it (cachetools is not
    thread-safe on its own; two threads may both build, and the first answer stays)."""
    with _lock:
        found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = build()
    with _lock:
        return cache.setdefault(key, value)  # type: ignore[no-any-return]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of ``chart`` as plain JSON values (validated by Altair)."""
    return json.loads(chart.to_json())


def render_chart(
    key: tuple[Hashable, ...], build: Callable[[], alt.TopLevelMixin], *, name: str
) -> Chart:
    """The chart ``build()`` returns, rendered to SVG once per ``key``.

    ``key`` must name everything the chart depends on: the data revision for charts drawn from
    the database, the inputs for calculator charts.
    """
    return once(chart_cache, (name, *key), lambda: _render(key, build, name=name))


def _render(
    key: tuple[Hashable, ...], build: Callable[[], alt.TopLevelMixin], *, name: str
) -> Chart:
    spec = _spec(build())
    digest = hashlib.sha256(repr((name, *key)).encode()).hexdigest()[:10]
    chart = Chart(
        id=f"chart-{name}-{digest}",
        spec=spec,
        # Vega's SVG renderer escapes every text node and attribute, contributor text included.
        svg=Markup(vl_convert.vegalite_to_svg(spec)),
        spec_json=htmlsafe_json_dumps(spec),
    )
    return chart
