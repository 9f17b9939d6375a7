"""The web application: ``create_app`` wires the routers and the one error handler."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry import web
from registry.api import calc, compare, families, history, models, probe_runs
from registry.api.docs import mount_docs
from registry.api.fast_list import FastModelList
from registry.calc import CalcError
from registry.config import Settings, get_settings
from registry.errors import RegistryError
from registry.http.admission import BUSY, Admission
from registry.http.cache import RevisionCache, revision_watcher
from registry.http.compression import Compression
from registry.http.faults import DISK_FULL, database_answer, is_disk_full
from registry.http.params import refuse_unknown_params
from registry.http.revision import PinnedCacheControl
from registry.http.security import BodyLimit, HeadAsGet, SecurityHeaders, refuse_nul
from registry.store.engine import async_reader, create_db_engine, snapshot_engine
from registry.web.rendering import error_page

# Pages and API reads depend only on the URL and the data revision (seeds and probe runs).
CACHED_PREFIXES = ("/",)
UNCACHED = ("/static/", "/docs")  # files served as they are


def create_served_app() -> FastAPI:
    """The application as ``registry serve`` runs it: one event loop for the process's life, so
    PostgreSQL reads of the model list may use an asyncio connection pool (``api.fast_list``)."""
    return create_app(async_reads=True)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, async_reads: bool = False
) -> FastAPI:
    """The application for ``settings`` (default: the environment's), on ``engine`` if given;
    ``async_reads``: see ``create_served_app``."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Model registry",
        summary="Large language model families: access, parameters, training and scaling.",
        version="0.1.0",
        docs_url=None,  # served by registry.api.docs, without a CDN
        redoc_url=None,
        dependencies=[Depends(refuse_nul), Depends(refuse_unknown_params)],
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.resolved_database_url)
    app.state.read_engine = snapshot_engine(app.state.engine)
    # The busiest read, answered before FastAPI's routing (registry.api.fast_list).
    # One-statement reads need no transaction: on PostgreSQL that saves BEGIN and ROLLBACK.
    app.state.autocommit_engine = (
        app.state.engine.execution_options(isolation_level="AUTOCOMMIT")
        if app.state.engine.dialect.name == "postgresql"
        else app.state.read_engine
    )
    app.state.async_engine = async_reader(app.state.engine) if async_reads else None
    app.add_middleware(
        FastModelList,
        engine=lambda: app.state.read_engine,
        autocommit=lambda: app.state.autocommit_engine,
        async_engine=lambda: app.state.async_engine,
        revision=lambda: app.state.revision_watcher.value,
        memory_bytes=settings.document_memory_bytes,
    )
    app.add_middleware(PinnedCacheControl)  # inside the cache: ?revision= answers never change
    # Inside the cache: an answer is compressed once per coding, not on every hit.
    app.add_middleware(Compression)
    # Inside the cache, so that hits never queue; below the pool's size (registry.http.admission).
    app.add_middleware(Admission, limit=settings.max_in_flight, queue=settings.max_waiting)
    app.state.revision_watcher = revision_watcher(app.state.engine)
    app.add_middleware(
        RevisionCache,
        revision=app.state.revision_watcher,
        prefixes=CACHED_PREFIXES,
        exclude=UNCACHED,
        max_bytes=settings.cache_bytes,
    )
    body_limits = calc.BODY_LIMITS | probe_runs.BODY_LIMITS | web.BODY_LIMITS
    app.add_middleware(BodyLimit, limits=body_limits)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # outermost: 413s and 503s get the headers too
    for router in (models.router, families.router, compare.router, calc.router):
        app.include_router(router)
    app.include_router(probe_runs.router)
    app.include_router(history.router)
    mount_docs(app)
    app.include_router(web.router)
    app.mount("/static", web.STATIC_FILES, name="static")  # hashed names too (web.assets)

    _install_error_handlers(app)
    return app


def _for_machines(request: Request) -> bool:
    """Whether an error goes out as JSON: for the API, the JSON twins and exports, and for any
    client that does not ask for HTML (a browser always does; curl and HTTP libraries do not)."""
    path = request.url.path
    if path.startswith(("/api/", "/docs", "/openapi")) or path.endswith((".json", ".csv")):
        return True
    return "text/html" not in request.headers.get("accept", "")


def _error(request: Request, message: str, status_code: int, **headers: str) -> Response:
    """An error as JSON for the API and the JSON twins, as an HTML page for the pages."""
    path = request.url.path
    if path.startswith(("/api/", "/docs", "/openapi")) or path.endswith(".json"):
        return JSONResponse({"detail": message}, status_code=status_code, headers=headers)
    response = error_page(request, message, status_code=status_code)
    response.headers.update(headers)
    return response


def _install_error_handlers(app: FastAPI) -> None:
    """The one place where errors become responses."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown paths (404) and wrong methods (405): a page for a browser, JSON otherwise.
        headers = dict(exc.headers or {})
        if _for_machines(request):
            body = {"detail": exc.detail}
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        message = (
            f"There is no page at {request.url.path}."
            if exc.status_code == 404
            else str(exc.detail)
        )
        response = error_page(request, message, status_code=exc.status_code)
        response.headers.update(headers)
        return response

    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError) -> Response:
        return _error(request, exc.message, exc.status_code)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        # A dropped or restarting database is 503 (the pool reconnects once it is back); a value
        # it refuses is 422 and a full disk 507 (registry.http.faults).
        answer = database_answer(exc)
        return _error(request, answer.message, answer.status, **answer.headers)

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def pool_timeout(request: Request, exc: SQLAlchemyTimeoutError) -> Response:
        # Every pooled connection stayed busy for the pool's timeout: overload, not a fault.
        return _error(request, BUSY, 503, **{"Retry-After": "1"})

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError) -> Response:
        if is_disk_full(exc):
            return _error(request, DISK_FULL, 507)
        raise exc

    @app.exception_handler(CalcError)
    async def calc_error(request: Request, exc: CalcError) -> Response:
        # The calculator is pure and knows nothing of HTTP: its errors are bad input.
        return _error(request, str(exc), 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        path = request.url.path
        if path.startswith("/api/") or path.endswith(".json"):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
            for error in exc.errors()
        )
        return error_page(request, problems, status_code=422)
