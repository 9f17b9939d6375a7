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
    access_log: Annotated[
        bool, typer.Option(help="Log a line per request (off behind a proxy that logs them).")
    ] = True,
    trusted_proxies: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated proxy addresses whose X-Forwarded-For is trusted "
            "(default: REGISTRY_TRUSTED_PROXIES, else none: the connection's address counts)."
        ),
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds a client may take to send a request's headers "
            "(default: REGISTRY_HEADER_TIMEOUT_S, else 10).",
        ),
    ] = None,
) -> None:
    """Start the web server (API under /api/v1, OpenAPI at /docs)."""
    import os

    import uvicorn

    from registry.http.server import PROTOCOL
    from registry.store.engine import check_connection, check_database_file, get_engine
    from registry.store.migrate import ensure_current

    # Worker processes read their settings from the environment: pass the options on through it.
    if trusted_proxies is not None:
        os.environ["REGISTRY_TRUSTED_PROXIES"] = trusted_proxies
    if header_timeout is not None:
        os.environ["REGISTRY_HEADER_TIMEOUT_S"] = str(header_timeout)
    get_settings.cache_clear()
    proxies = get_settings().trusted_proxies
    check_database_file(get_settings().resolved_database_url)
    engine = get_engine()
    check_connection(engine)
    ensure_current(engine)
    engine.dispose()
    uvicorn.run(
        "registry.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        http=PROTOCOL,
        access_log=access_log,
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: only from configured proxies.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or "",
    )
