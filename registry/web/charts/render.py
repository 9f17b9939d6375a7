"""Rendering a chart once: Vega-Lite spec -> SVG, cached by a key naming its data and parameters.

vl-convert takes 0.05-0.2 s per drawing (it measures every piece of text), far over a page's
budget, so every rendered chart is kept: in a bounded per-process LRU and, for the knowledge
base's charts (``durable=True``), in a size-bounded store on disk (``use_store``, under the data
directory) that outlives a restart and is shared by every server process. A key names what the
chart is drawn from (the model's numbers and the fit, or the data revision), never more: a seed
load that leaves a model's numbers alone leaves its chart's key alone, so its first page view after
the load finds the drawing ready. Every key also holds ``VERSION``, a digest of this package's code
and of the Altair and vl-convert versions, so a new release never shows a drawing of the old one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

import altair as alt
import diskcache
import vl_convert
from cachetools import LRUCache
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

CHART_ENTRIES = 512
NARROW_WIDTH, NARROW_HEIGHT = 270, 300  # as registry.web.charts.frame
DATA_ENTRIES = 64
STORE_BYTES = 256 * 1024 * 1024  # the disk store's bound; the least recently used go first
T = TypeVar("T")


def _code_version() -> str:
    """A digest of this package's source and of the chart libraries' versions."""
    digest = hashlib.sha256(f"{alt.__version__} {vl_convert.__version__}".encode())
    package = Path(__file__).resolve().parents[2]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


VERSION = _code_version()


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
_store: diskcache.Cache | None = None


def use_store(directory: Path | None) -> None:
    """Keep durable charts in ``directory`` too (None: in memory only, the default)."""
    global _store
    previous = _store
    _store = None
    if directory is not None:
        policy = "least-recently-used"
        _store = diskcache.Cache(str(directory), size_limit=STORE_BYTES, eviction_policy=policy)
    if previous is not None:
        previous.close()


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
    """The Vega-Lite spec of ``chart`` as plain JSON values.

    Altair's validation against the Vega-Lite schema would take two thirds of the time of building
    a spec; the tests validate the spec of every kind of chart instead
    (``tests/web/test_web_charts.py``)."""
    return json.loads(chart.to_json(validate=False))


# vl-convert resolves a mark's relative ``href`` against its own data base URL; the page's links
# are the app's own paths, so that prefix is taken off again.
_VL_CONVERT_BASE = 'xlink:href="https://vega.github.io/vega-datasets/'


def _svg(spec: dict[str, Any]) -> Markup:
    """The SVG of ``spec``; Vega's SVG renderer escapes every text node and attribute."""
    svg = vl_convert.vegalite_to_svg(spec).replace(_VL_CONVERT_BASE + "/", 'xlink:href="/')
    return Markup(svg)


def warm() -> None:
    """Start vl-convert's engine (about half a second, once per process) and warm Altair, by
    drawing a small chart with an axis, a legend and text."""
    rows = [{"x": 1.0, "y": 2.0, "kind": "a", "label": "warm"}]
    points = alt.Chart(alt.Data(values=rows)).mark_point().encode(x="x:Q", y="y:Q", color="kind:N")
    names = (
        alt.Chart(alt.Data(values=rows)).mark_text(dx=6).encode(x="x:Q", y="y:Q", text="label:N")
    )
    _svg(_spec(alt.layer(points, names)))


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


def chart_key(name: str, key: tuple[Any, ...]) -> str:
    """The digest a chart is kept under: its name, its key and ``VERSION``.

    Key parts must have a stable ``repr``: numbers, strings, and tuples, lists and dicts of them
    (dicts built in a fixed order)."""
    return hashlib.sha256(repr((VERSION, name, *key)).encode()).hexdigest()[:32]


def render_chart(
    key: tuple[Any, ...],
    build: Callable[[], alt.TopLevelMixin],
    *,
    name: str,
    narrow: Callable[[int], alt.TopLevelMixin] | None = None,
    durable: bool = False,
) -> Chart:
    """The chart ``build()`` returns, rendered to SVG once per ``key``, and its phone variant.

    ``key`` must name everything the chart depends on: the numbers it draws (or the data revision
    they come from) and the fit, or the inputs for calculator charts. ``narrow(width)`` builds the
    phone variant (names placed for that width); without it the spec is narrowed as it is.
    ``durable`` charts (the knowledge base's, a bounded set) are also kept in the disk store;
    charts of what a visitor typed are not.
    """
    digest = chart_key(name, key)

    def stored_or_drawn() -> Chart:
        store = _store if durable else None
        if store is not None and (found := store.get(digest)) is not None:
            return _from_json(found)
        chart = _render(digest, build, name=name, narrow=narrow)
        if store is not None:
            store.set(digest, _to_json(chart))
        return chart

    return once(chart_cache, digest, stored_or_drawn)


def _render(
    digest: str,
    build: Callable[[], alt.TopLevelMixin],
    *,
    name: str,
    narrow: Callable[[int], alt.TopLevelMixin] | None,
) -> Chart:
    spec = _spec(build())
    small = _legend_below(_spec(narrow(NARROW_WIDTH))) if narrow else _narrow(spec)
    return _chart(
        f"chart-{name}-{digest[:10]}",
        spec,
        _svg(spec),
        small,
        _svg(small) if small else None,
    )


def _chart(
    id: str, spec: dict[str, Any], svg: str, small: dict[str, Any] | None, small_svg: str | None
) -> Chart:
    return Chart(
        id=id,
        spec=spec,
        svg=Markup(svg),
        spec_json=htmlsafe_json_dumps(spec),
        narrow_svg=Markup(small_svg) if small_svg is not None else None,
        narrow_spec_json=htmlsafe_json_dumps(small) if small is not None else None,
    )


def _to_json(chart: Chart) -> str:
    return json.dumps(
        {
            "id": chart.id,
            "spec": chart.spec,
            "svg": str(chart.svg),
            "narrow_spec": json.loads(chart.narrow_spec_json) if chart.narrow_spec_json else None,
            "narrow_svg": str(chart.narrow_svg) if chart.narrow_svg is not None else None,
        }
    )


def _from_json(text: str) -> Chart:
    # The SVG was drawn (and escaped) by vl-convert in this program version (VERSION is in the key).
    found = json.loads(text)
    return _chart(
        found["id"], found["spec"], found["svg"], found["narrow_spec"], found["narrow_svg"]
    )
