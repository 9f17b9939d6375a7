"""History commands: ``registry history --from-git`` and ``registry export`` (docs/HISTORY.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress as RichProgress

from registry.config import get_settings

console = Console(stderr=True, soft_wrap=True)


def _engine():  # type: ignore[no-untyped-def]
    from registry.store.engine import check_connection, check_database_file, get_engine
    from registry.store.migrate import ensure_current

    check_database_file(get_settings().resolved_database_url)
    engine = get_engine()
    check_connection(engine)
    ensure_current(engine)
    return engine


def history(
    from_git: Annotated[
        bool, typer.Option("--from-git", help="Backfill the change log from the seeds' git log.")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="Only commits after this git revision.", metavar="REV")
    ] = None,
    path: Annotated[
        Path | None, typer.Option(help="The seed folder (default: the configured seeds/).")
    ] = None,
) -> None:
    """Backfill the change log: one revision per commit that touched the seeds (idempotent)."""
    from registry.seeds.backfill import backfill

    if not from_git:
        console.print("say where the history comes from: registry history --from-git")
        raise typer.Exit(2)
    engine = _engine()
    seeds = path or get_settings().seeds_dir
    with RichProgress(console=console, transient=True) as bar:
        task = bar.add_task("reading commits", total=None)
        results = backfill(
            engine,
            seeds,
            since=since,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    counts = {"recorded": 0, "present": 0, "skipped": 0}
    for result in results:
        counts[result.outcome] += 1
        line = f"{result.commit.sha[:12]} {result.commit.committed_at:%Y-%m-%d} {result.outcome}"
        if result.revision:
            line += f" revision {result.revision}"
        if result.summary:
            line += f": {result.summary}"
        typer.echo(line)
    typer.echo(
        f"{len(results)} commit(s) touched the seeds: {counts['recorded']} recorded, "
        f"{counts['present']} already recorded, {counts['skipped']} skipped"
    )


def export(
    folder: Annotated[Path, typer.Argument(help="The folder to write into (created if needed).")],
    format: Annotated[
        str, typer.Option("--format", help="sqlite, csv, json or parquet.")
    ] = "sqlite",
) -> None:
    """Write the current revision, one table per entity with the revision inside."""
    from registry.services.snapshot import export as write
    from registry.store.engine import session_scope

    if format not in ("sqlite", "csv", "json", "parquet"):
        console.print(f"--format: {format!r} is not one of sqlite, csv, json, parquet")
        raise typer.Exit(2)
    engine = _engine()
    with session_scope(engine) as session:
        written = write(session, format, folder)  # type: ignore[arg-type]
    for path in written:
        typer.echo(str(path))
