"""Seed commands: validate, seed, diff."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress as RichProgress
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from registry.config import get_settings
from registry.seeds.changes import ChangeSet
from registry.seeds.records import TreeRecords
from registry.seeds.tree import SeedTree
from registry.seeds.validate import display_path, validate_tree

console = Console(stderr=True, soft_wrap=True)
SeedPath = Annotated[
    Path | None, typer.Argument(help="The seed folder (default: the configured seeds/).")
]
PROGRESS_THRESHOLD = 200  # models: smaller loads finish before a bar would be seen


def _checked(path: Path | None) -> SeedTree:
    tree = validate_tree(path or get_settings().seeds_dir)
    for problem in tree.problems:
        typer.echo(str(problem))
    if tree.problems:
        console.print(f"{len(tree.problems)} problem(s) found; nothing was loaded", highlight=False)
        raise typer.Exit(1)
    return tree


def validate(path: SeedPath = None) -> None:
    """Check the seed tree; print every problem as path:line:column: field: message."""
    tree = _checked(path)
    organizations = sum(len(content.organizations) for _, content in tree.organizations)
    typer.echo(
        f"ok: {display_path(tree.root)} holds {tree.model_count} models in {len(tree.families)} "
        f"families from {organizations} organizations"
    )


def seed(path: SeedPath = None) -> None:
    """Validate the seeds, then load them in one transaction: only what changed is written."""
    from registry.seeds.gitref import seeds_commit
    from registry.seeds.records import tree_records
    from registry.store.engine import check_connection, get_engine
    from registry.store.migrate import ensure_current

    tree = _checked(path)
    engine = get_engine()
    check_connection(engine)
    ensure_current(engine)
    records = tree_records(tree)
    try:
        changes = _load(engine, records, commit=seeds_commit(tree.root))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        console.print(
            f"error: the load failed and was rolled back; the database is unchanged: {reason}",
            highlight=False,
        )
        raise typer.Exit(1) from None
    if changes.empty:
        typer.echo(f"unchanged: the database already holds these {len(records.models)} models")
        return
    typer.echo(changes.summary())
    for kind in ("models", "families", "organizations"):
        kind_changes = getattr(changes, kind)
        for label, slugs in (
            ("+", kind_changes.added),
            ("~", list(kind_changes.changed)),
            ("-", kind_changes.removed),
        ):
            for slug in slugs:
                typer.echo(f"  {label} {kind[:-1] if kind != 'families' else 'family'} {slug}")


def _load(engine: Engine, records: TreeRecords, *, commit: str | None) -> ChangeSet:
    from registry.seeds.load import load_records

    if len(records.models) < PROGRESS_THRESHOLD:
        return load_records(engine, records, commit=commit)
    with RichProgress(console=console, transient=True) as bar:
        task = bar.add_task("loading models", total=len(records.models))
        return load_records(
            engine,
            records,
            commit=commit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def diff(
    old: Annotated[Path | None, typer.Argument(help="The earlier seed tree.")] = None,
    new: Annotated[
        Path | None, typer.Argument(help="The later seed tree (default: seeds/).")
    ] = None,
    base: Annotated[
        str | None, typer.Option(help="Compare with the seeds at this git ref.")
    ] = None,
) -> None:
    """A Markdown report of models added, removed and changed, for pull-request review."""
    from registry.seeds.changes import compare, markdown_report
    from registry.seeds.gitref import export_tree
    from registry.seeds.records import tree_records

    if base is None and old is None:
        console.print("give the earlier tree (registry diff OLD [NEW]) or a git ref (--base REF)")
        raise typer.Exit(2)
    if base is not None and new is not None:
        console.print("with --base, give one seed tree: registry diff --base REF [PATH]")
        raise typer.Exit(2)
    # With --base the one positional argument is the current tree.
    new_tree = _checked(old if base is not None else new)
    with tempfile.TemporaryDirectory() as scratch:
        old_path = export_tree(new_tree.root, base, Path(scratch)) if base else old
        assert old_path is not None
        old_tree = validate_tree(old_path)
        if not old_tree.ok:
            console.print(
                f"the earlier tree {old_path} does not validate "
                f"({len(old_tree.problems)} problems); first: {old_tree.problems[0]}"
            )
            raise typer.Exit(1)
        old_records, new_records = tree_records(old_tree), tree_records(new_tree)
    typer.echo(markdown_report(compare(old_records, new_records), old_records, new_records))


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
            console.print(f"{target} is stale: run `registry schema`")
            raise typer.Exit(1)
        typer.echo(f"{target} is up to date")
        return
    target.write_text(rendered, encoding="utf-8")
    typer.echo(f"wrote {target}")
