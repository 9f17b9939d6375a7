"""The web application: ``create_app`` wires the routers and the one error handler."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from registry.api import compare, families, models
from registry.api.caching import ResponseCache
from registry.config import Settings, get_settings
from registry.db import create_db_engine
from registry.errors import RegistryError


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The application for ``settings`` (default: the environment's), on ``engine`` if given."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Model registry",
        summary="Large language model families: access, parameters, training and scaling.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.resolved_database_url)
    app.state.response_cache = ResponseCache()
    for router in (models.router, families.router, compare.router):
        app.include_router(router)

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    return app
