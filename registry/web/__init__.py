"""Server-rendered pages: handlers that call the same functions as ``registry.api``.

``router`` holds every page; ``STATIC_FILES`` (``STATIC_DIR`` under content-hashed names too,
``registry.web.assets``) is mounted at ``/static`` by ``registry.main``.
"""

from fastapi import APIRouter

from registry.resources import STATIC_DIR
from registry.web import (
    calculator,
    compare,
    explore,
    fit,
    history,
    pages,
    site,
    table,
    vendor,
    warmup,
)
from registry.web.assets import STATIC_FILES

# The lifespan opens the chart store and warms vl-convert and the templates (registry.web.warmup).
router = APIRouter(include_in_schema=False, lifespan=warmup.lifespan)
for module in (table, pages, compare, site, explore, calculator, fit, vendor, history):
    router.include_router(module.router)

BODY_LIMITS = {"/fit": fit.MAX_UPLOAD_BYTES}

__all__ = ["BODY_LIMITS", "STATIC_DIR", "STATIC_FILES", "router"]
