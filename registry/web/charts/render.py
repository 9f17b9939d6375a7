"""Rendering a chart once: Vega-Lite spec -> SVG, cached by a key naming its data and parameters.

vl-convert takes ~0.1 s per chart, far over a page's budget, so every rendered chart is kept in a
bounded per-process LRU. Keys of charts drawn from the database start with the data revision
(``registry.store.queries.data_revision``): a new seed load changes every key, so nothing
stale is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Lock
from typing import Any

import altair as alt
import vl_convert
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

CHART_ENTRIES = 512


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A rendered chart: a DOM id, its Vega-Lite spec and the SVG vl-convert drew from it."""

    id: str
    spec: dict[str, Any]
    svg: Markup
    spec_json: Markup  # the spec as JSON safe inside <script type="application/json">


class LruCache:
    """A bounded, thread-safe LRU (rendered charts, and page data keyed by data revision)."""

    def __init__(self, entries: int = CHART_ENTRIES) -> None:
        self._entries = entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


chart_cache = LruCache()
data_cache = LruCache(entries=64)


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
    cached = chart_cache.get((name, *key))
    if cached is not None:
        return cached
    spec = _spec(build())
    digest = hashlib.sha256(repr((name, *key)).encode()).hexdigest()[:10]
    chart = Chart(
        id=f"chart-{name}-{digest}",
        spec=spec,
        # Vega's SVG renderer escapes every text node and attribute, contributor text included.
        svg=Markup(vl_convert.vegalite_to_svg(spec)),
        spec_json=htmlsafe_json_dumps(spec),
    )
    chart_cache.put((name, *key), chart)
    return chart
