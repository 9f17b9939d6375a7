"""``registry db upgrade|downgrade``: schema migrations through ``registry.store.migrate``."""

from __future__ import annotations

from typing import Annotated

import typer

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


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
