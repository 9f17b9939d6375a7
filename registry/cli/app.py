"""The ``registry`` command line: thin commands over plain functions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from registry.cli import seeds as cli_seeds
from registry.cli.calc import calc_app, fit
from registry.cli.probe import probe
from registry.config import get_settings
from registry.errors import RegistryError

app = typer.Typer(
    name="registry",
    help="Model-family registry: seeds, database, calculator and server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)

app.command()(cli_seeds.validate)
app.command()(cli_seeds.seed)
app.command()(cli_seeds.diff)

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(calc_app, name="calc")
app.command("fit")(fit)
app.command("probe")(probe)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    from registry.store.engine import check_connection, describe_url, get_engine
    from registry.store.migrate import current_revision, upgrade

    engine = get_engine()
    check_connection(engine)
    upgrade(engine, revision)
    typer.echo(f"{describe_url(str(engine.url))} is at revision {current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or base.")],
) -> None:
    """Migrate the database down to REVISION (`base` removes every table)."""
    from registry.store.engine import check_connection, describe_url, get_engine
    from registry.store.migrate import current_revision, downgrade

    engine = get_engine()
    check_connection(engine)
    downgrade(engine, revision)
    current = current_revision(engine) or "base (empty)"
    typer.echo(f"{describe_url(str(engine.url))} is at revision {current}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
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
        "registry.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        http=PROTOCOL,
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: only from configured proxies.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or "",
    )


@app.command()
def schema(
    check: Annotated[bool, typer.Option(help="Exit 1 if the committed file is stale.")] = False,
) -> None:
    """Write seeds/schema.json, the JSON Schema editors use to check seed files as you type."""
    from registry.seeds.jsonschema import SCHEMA_FILE, render_seed_json_schema

    target = get_settings().seeds_dir / SCHEMA_FILE
    rendered = render_seed_json_schema()
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != rendered:
            errors.print(f"{target} is stale: run `registry schema`")
            raise typer.Exit(1)
        typer.echo(f"{target} is up to date")
        return
    target.write_text(rendered, encoding="utf-8")
    typer.echo(f"wrote {target}")


def main() -> None:
    """Console entry point: the registry's own errors print as one line, without a traceback."""
    try:
        app()
    except RegistryError as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise SystemExit(2) from None
