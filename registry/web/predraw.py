"""Drawing the charts a seed load changed, in the loader's process, before anyone asks for them.

A chart is kept by what it draws (``charts.render``), so a load that leaves a model's numbers alone
leaves its chart drawn. A load that changes them, or adds a model, makes a chart nobody has drawn:
vl-convert then takes 0.25-0.5 s on that page's first view, holding the server's GIL. Data changes
only when seeds load, so ``registry seed`` draws those charts itself, after its transaction,
into the chart store on disk that every server process reads (``warmup.store_dir``): the model
pages (default fit) and family pages of what the load added or changed. The first load of a
database draws nothing (every chart would be new: minutes of drawing); nor does a load past its
time budget, which stops and leaves the rest to be drawn on first view. Comparisons are not drawn
ahead: there is no knowing which ones visitors will make (docs/PERFORMANCE.md, Cold pages).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from contextlib import suppress

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.config import Settings
from registry.errors import RegistryError
from registry.services import views
from registry.store import queries
from registry.web.charts import render
from registry.web.pages import family_members_chart, family_rows, model_chart
from registry.web.warmup import store_dir

BUDGET_S = 30.0  # drawing stops after this long; the rest are drawn on first view


def draw_changed(
    settings: Settings,
    engine: Engine,
    *,
    models: Iterable[str],
    families: Iterable[str],
    budget_s: float = BUDGET_S,
) -> tuple[int, int]:
    """Draw into the chart store the charts of ``models`` and ``families`` not drawn yet; return
    how many pages' charts are now ready and how many were left for their first view."""
    try:
        render.use_store(store_dir(settings))
    except (OSError, sqlite3.Error):
        return 0, 0  # a data directory we may not write to: the server draws on first view
    pages = [("model", slug) for slug in models] + [("family", slug) for slug in families]
    deadline = time.monotonic() + budget_s
    ready = 0
    try:
        for done, (kind, slug) in enumerate(pages):
            if time.monotonic() > deadline:
                return ready, len(pages) - done
            with Session(engine) as session, suppress(RegistryError, sa.exc.SQLAlchemyError):
                if kind == "model":
                    model_chart(views.model_detail(session, slug=slug, fit=None), None)
                else:
                    members = queries.get_family(session, slug=slug)["data"]
                    family_members_chart(family_rows(members))
                ready += 1
        return ready, 0
    finally:
        render.use_store(None)
