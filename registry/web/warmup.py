"""Start-up work that takes its one-off costs off the first page views.

Run by the web router's lifespan, before the server accepts connections:

- the chart store on disk (``charts.render.use_store``, under ``<data dir>/web/charts``) is opened,
  so the charts drawn before a restart, or before a seed load that left their numbers alone, are
  served from it;
- vl-convert's JavaScript engine is started (about half a second, once per process) by drawing a
  small chart that has an axis, a legend and text, which also warms Altair;
- every template is compiled.

A server run without its lifespan (some tests) skips this: pages work the same, only slower at
first, and charts are then kept in memory only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread

from registry.config import Settings
from registry.web.charts import render
from registry.web.rendering import templates


def store_dir(settings: Settings) -> Path:
    """Where the drawn charts are kept between runs."""
    return settings.data_dir / "web" / "charts"


def warm_up(settings: Settings) -> None:
    """Open the chart store, start vl-convert's engine, compile the templates."""
    render.use_store(store_dir(settings))
    render.warm()
    for name in templates.env.list_templates(filter_func=lambda name: name.endswith(".html")):
        templates.env.get_template(name)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Warm up before serving; close the chart store after."""
    await anyio.to_thread.run_sync(warm_up, app.state.settings)
    try:
        yield
    finally:
        render.use_store(None)
