"""The web application: ``create_app`` wires the routers and the one error handler."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from registry import web
from registry.api import calc, compare, families, models, probe_runs
from registry.api.docs import mount_docs
from registry.cache import RevisionCache, revision_reader
from registry.calc import CalcError
from registry.config import Settings, get_settings
from registry.db import create_db_engine, snapshot_engine
from registry.errors import RegistryError
from registry.security import BodyLimit, SecurityHeaders

# Reads that depend only on the URL and the loaded seeds; probe runs change without a seed load.
CACHED_PREFIXES = ("/api/v1/",)
UNCACHED = ("/probe-runs",)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The application for ``settings`` (default: the environment's), on ``engine`` if given."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Model registry",
        summary="Large language model families: access, parameters, training and scaling.",
        version="0.1.0",
        docs_url=None,  # served by registry.api.docs, without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.resolved_database_url)
    app.state.read_engine = snapshot_engine(app.state.engine)
    app.add_middleware(
        RevisionCache,
        revision=revision_reader(app.state.engine),
        prefixes=CACHED_PREFIXES,
        exclude=UNCACHED,
    )
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # outermost: 413s and 503s get the headers too
    for router in (models.router, families.router, compare.router, calc.router):
        app.include_router(router)
    app.include_router(probe_runs.router)
    mount_docs(app)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        # A dropped or restarting database: the pool reconnects once it is back.
        return JSONResponse(
            {"detail": "the database is unavailable right now; retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(CalcError)
    async def calc_error(_: Request, exc: CalcError) -> JSONResponse:
        # The calculator is pure and knows nothing of HTTP: its errors are bad input.
        return JSONResponse({"detail": str(exc)}, status_code=422)

    return app
