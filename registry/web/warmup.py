"""Start-up work that takes its one-off costs off the first page views.

Run by the web router's lifespan, before the server accepts connections:

- the chart store on disk (``charts.render.use_store``, under ``<data dir>/web/charts``) is opened,
  so the charts drawn before a restart, or before a seed load that left their numbers alone, are
  served from it;
- vl-convert's JavaScript engine is started (about half a second, once per process) by drawing a
  small chart that has an axis, a legend and text, which also warms Altair;
- every template is compiled;
- the reads of a model page and of a comparison run once on two models (SQL statements compiled,
  record types built), and the current revision's name tables are built, which later pages share;
- one request for a path no route answers goes through the whole application: FastAPI prepares
  each route on the first request that reaches its router (~0.1 s for all of them), and the
  middleware and the 404 page run once;
- last, ``gc.freeze()`` moves the objects made so far (modules, schemas, compiled templates:
  about 240,000) out of the garbage collector's sight. Otherwise a full collection, which the
  allocations of a page drawing a chart can set off, walks all of them: up to 0.9 s measured
  on the 2-core machine, in the middle of some visitor's request.

Nothing is put in the response cache: no page is requested, and a 404 is not kept.

A server run without its lifespan (some tests) skips this: pages work the same, only slower at
first, and charts are then kept in memory only.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.config import Settings
from registry.errors import RegistryError
from registry.services import history, views
from registry.store import queries
from registry.web import datasets, picker
from registry.web.charts import render
from registry.web.rendering import templates

NO_PAGE = "/.warm-up"  # a path no route answers


def store_dir(settings: Settings) -> Path:
    """Where the drawn charts are kept between runs."""
    return settings.data_dir / "web" / "charts"


def warm_up(settings: Settings, engine: Engine) -> None:
    """Open the chart store, start vl-convert's engine, compile the templates, run the reads."""
    # A data directory the server may not write to leaves the charts in memory only.
    with suppress(OSError, sqlite3.Error):
        render.use_store(store_dir(settings))
    render.warm()
    for name in templates.env.list_templates(filter_func=lambda name: name.endswith(".html")):
        templates.env.get_template(name)
    # No data yet, or no database: the first request reports it as usual.
    with suppress(RegistryError, sa.exc.SQLAlchemyError):
        warm_reads(engine)


def warm_reads(engine: Engine) -> None:
    """The model page's and the comparison's reads on two models, and the name tables."""
    with Session(engine) as session:
        revision = queries.data_revision(session)
        slugs = sorted(datasets.names(session, revision)["model"])[: views.COMPARE_MIN]
        picker.choices(session)
        if slugs:
            views.model_detail(session, slug=slugs[0], fit=None)
            history.model_history(session, slug=slugs[0])
        if len(slugs) == views.COMPARE_MIN:
            views.compare(session, slugs=slugs, fit=None)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Warm up before serving; close the chart store after."""
    await anyio.to_thread.run_sync(warm_up, app.state.settings, app.state.read_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warm-up") as client:
        await client.get(NO_PAGE, headers={"accept": "text/html"})
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        render.use_store(None)
