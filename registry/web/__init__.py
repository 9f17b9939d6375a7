"""Server-rendered pages: handlers that call the same functions as ``registry.api``.

``router`` holds every page; ``STATIC_DIR`` is mounted at ``/static`` by ``registry.main``.
"""

from fastapi import APIRouter

from registry.resources import STATIC_DIR
from registry.web import calculator, compare, explore, fit, history, pages, site, table, vendor

router = APIRouter(include_in_schema=False)
for module in (table, pages, compare, site, explore, calculator, fit, vendor, history):
    router.include_router(module.router)

BODY_LIMITS = {"/fit": fit.MAX_UPLOAD_BYTES}

__all__ = ["BODY_LIMITS", "STATIC_DIR", "router"]
