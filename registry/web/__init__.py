"""Server-rendered pages: handlers that call the same functions as ``registry.api``.

``router`` holds every page; ``STATIC_DIR`` is mounted at ``/static`` by ``registry.main``.
"""

from pathlib import Path

from fastapi import APIRouter

from registry.web import calculator, compare, explore, fit, pages, vendor

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)
for module in (pages, compare, explore, calculator, fit, vendor):
    router.include_router(module.router)

__all__ = ["STATIC_DIR", "router"]
