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
NARROW_WIDTH, NARROW_HEIGHT = 270, 300  # as registry.web.charts.frame
DATA_ENTRIES = 64
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A rendered chart: a DOM id, its Vega-Lite spec and the SVG vl-convert drew from it."""

    id: str
    spec: dict[str, Any]
    svg: Markup
    spec_json: Markup  # the spec as JSON safe inside <script type="application/json">
    # The phone variant: drawn NARROW_WIDTH wide with its legend below, so text keeps its size.
    narrow_svg: Markup | None = None
    narrow_spec_json: Markup | None = None


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


# vl-convert resolves a mark's relative ``href`` against its own data base URL; the page's links
# are the app's own paths, so that prefix is taken off again.
_VL_CONVERT_BASE = 'xlink:href="https://vega.github.io/vega-datasets/'


def _svg(spec: dict[str, Any]) -> Markup:
    """The SVG of ``spec``; Vega's SVG renderer escapes every text node and attribute."""
    svg = vl_convert.vegalite_to_svg(spec).replace(_VL_CONVERT_BASE + "/", 'xlink:href="/')
    return Markup(svg)


def _narrow(spec: dict[str, Any]) -> dict[str, Any] | None:
    """``spec`` for a phone: NARROW_WIDTH wide (when wider), legends below the plot."""
    width = spec.get("width")
    if not isinstance(width, int | float):
        return None
    narrow = json.loads(json.dumps(spec))
    if width > NARROW_WIDTH:
        narrow["width"] = NARROW_WIDTH
        if isinstance(narrow.get("height"), int | float):
            narrow["height"] = min(narrow["height"], NARROW_HEIGHT)
    return _legend_below(narrow)


def _legend_below(spec: dict[str, Any]) -> dict[str, Any]:
    config = spec.setdefault("config", {})
    config.setdefault("legend", {}).update({"orient": "bottom", "direction": "horizontal",
                                            "columns": 2})  # fmt: skip
    config.setdefault("axis", {}).update({"labelFontSize": 11, "titleFontSize": 11})
    return spec


def render_chart(
    key: tuple[Hashable, ...],
    build: Callable[[], alt.TopLevelMixin],
    *,
    name: str,
    narrow: Callable[[int], alt.TopLevelMixin] | None = None,
) -> Chart:
    """The chart ``build()`` returns, rendered to SVG once per ``key``, and its phone variant.

    ``key`` must name everything the chart depends on: the data revision for charts drawn from
    the database, the inputs for calculator charts. ``narrow(width)`` builds the phone variant
    (names placed for that width); without it the spec is narrowed as it is.
    """
    return once(chart_cache, (name, *key), lambda: _render(key, build, name=name, narrow=narrow))


def _render(
    key: tuple[Hashable, ...],
    build: Callable[[], alt.TopLevelMixin],
    *,
    name: str,
    narrow: Callable[[int], alt.TopLevelMixin] | None,
) -> Chart:
    spec = _spec(build())
    small = _legend_below(_spec(narrow(NARROW_WIDTH))) if narrow else _narrow(spec)
    digest = hashlib.sha256(repr((name, *key)).encode()).hexdigest()[:10]
    chart = Chart(
        id=f"chart-{name}-{digest}",
        spec=spec,
        svg=_svg(spec),
        spec_json=htmlsafe_json_dumps(spec),
        narrow_svg=_svg(small) if small else None,
        narrow_spec_json=htmlsafe_json_dumps(small) if small else None,
    )
    return chart
