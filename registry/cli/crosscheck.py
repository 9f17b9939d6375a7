"""``registry crosscheck``: the knowledge base against LiteLLM's model map, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registry.cli.seeds import SeedPath, _checked, console


def crosscheck(
    path: SeedPath = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(help="A model map in LiteLLM's format (default: the installed package's)."),
    ] = None,
    show_only: Annotated[
        bool, typer.Option("--only", help="Also list the models only one side knows.")
    ] = False,
) -> None:
    """Compare context length, output limit, input modalities and release date with LiteLLM's
    model map (the `crosscheck` extra); print agreements, disagreements and one-sided models."""
    from registry.seeds.crosscheck import (
        CatalogueError,
        installed_catalogue,
        read_catalogue,
    )
    from registry.seeds.crosscheck import (
        crosscheck as compare,
    )
    from registry.seeds.records import tree_records

    records = tree_records(_checked(path))
    try:
        data = read_catalogue(catalogue or installed_catalogue())
    except CatalogueError as exc:
        console.print(f"error: {exc}", highlight=False)
        raise typer.Exit(2) from None
    report = compare(records.models, data)
    typer.echo(report.summary())
    for slug, field, ours, theirs, key in report.disagreements:
        typer.echo(f"  disagree  {slug} {field}: registry {ours!r}, catalogue {theirs!r} ({key})")
    for slug, field, ours, theirs, key, why in report.explained:
        typer.echo(f"  explained {slug} {field}: {ours!r} vs {theirs!r} ({key}): {why}")
    if show_only:
        typer.echo("only in the registry: " + ", ".join(report.only_here))
        typer.echo("only in the catalogue: " + ", ".join(report.only_there))
