"""``registry serve``: the web server, started only on a reachable, migrated database."""

from __future__ import annotations

from typing import Annotated

import typer

from registry.config import get_settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
) -> None:
    """Start the web server (API under /api/v1, OpenAPI at /docs)."""
    import uvicorn

    from registry.store.engine import check_connection, check_database_file, get_engine
    from registry.store.migrate import ensure_current

    check_database_file(get_settings().resolved_database_url)
    engine = get_engine()
    check_connection(engine)
    ensure_current(engine)
    engine.dispose()
    uvicorn.run(
        "registry.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
    )
