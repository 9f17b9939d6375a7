"""Seed commands: validate, seed, diff, migrate-benchmarks."""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector for a one-shot command that builds a large, acyclic
    tree of values: its passes over every parsed node grew with the tree (a third of seeding
    10,000 models, docs/PERFORMANCE.md) and never found anything to free. Reference counting
    still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _checked(path: Path | None) -> SeedTree:
    tree = validate_tree(path or get_settings().seeds_dir)
    for problem in tree.problems:
        typer.echo(str(problem))
    if tree.problems:
        console.print(f"{len(tree.problems)} problem(s) found; nothing was loaded", highlight=False)
        raise typer.Exit(1)
    return tree


@_bulk()
def validate(path: SeedPath = None) -> None:
    """Check the seed tree; print every problem as path:line:column: field: message."""
    tree = _checked(path)
    organizations = sum(len(content.organizations) for _, content in tree.organizations)
    typer.echo(
        f"ok: {display_path(tree.root)} holds {tree.model_count} models in {len(tree.families)} "
        f"families from {organizations} organizations"
    )


@_bulk()
def seed(
    path: SeedPath = None,
    allow_mass_removal: Annotated[
        bool,
        typer.Option(
            help="Load even when it removes every model or more than 20% of them "
            "(refused by default: a missing family file looks like a mass removal)."
        ),
    ] = False,
    draw_charts: Annotated[
        bool,
        typer.Option(
            help="After the load, draw the charts of the models and families it added or changed "
            "into the servers' chart store, so their pages' first views need no drawing "
            "(not on a database's first load)."
        ),
    ] = True,
) -> None:
    """Validate the seeds, then load them in one transaction: only what changed is written."""
    from registry.seeds.gitref import seeds_commit
    from registry.seeds.limits import MassRemoval
    from registry.seeds.records import tree_records
    from registry.store.engine import check_connection, get_engine
    from registry.store.migrate import ensure_current

    tree = _checked(path)
    engine = get_engine()
    check_connection(engine)
    ensure_current(engine)
    records = tree_records(tree)
    try:
        changes = _load(
            engine,
            records,
            commit=seeds_commit(tree.root),
            allow_mass_removal=allow_mass_removal,
        )
    except MassRemoval as exc:
        for slug in exc.removed:
            typer.echo(f"  - model {slug}")
        console.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(1) from None
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
    first_load = len(changes.models.added) == len(records.models)
    if draw_charts and not first_load:
        _draw_charts(engine, changes, records)


def _draw_charts(engine: Engine, changes: ChangeSet, records: TreeRecords) -> None:
    """The charts of the models and families the load added or changed (a family's chart
    draws its members' numbers), drawn ahead for the servers (``registry.web.predraw``)."""
    from registry.web.predraw import draw_changed

    started = time.monotonic()
    models = [*changes.models.added, *changes.models.changed]
    families = {*changes.families.added, *changes.families.changed}
    families |= {records.models[slug]["family"] for slug in models}
    ready, left = draw_changed(get_settings(), engine, models=models, families=sorted(families))
    if ready or left:
        elapsed = time.monotonic() - started
        note = f"; {left} left to draw on first view" if left else ""
        typer.echo(f"charts: {ready} pages' charts ready in {elapsed:.1f} s{note}")


def _load(
    engine: Engine, records: TreeRecords, *, commit: str | None, allow_mass_removal: bool
) -> ChangeSet:
    from registry.seeds.limits import check_mass_removal
    from registry.seeds.load import load_records

    def guard(changes: ChangeSet, current: TreeRecords) -> None:
        check_mass_removal(changes.models.removed, len(current.models))

    checked = None if allow_mass_removal else guard
    if len(records.models) < PROGRESS_THRESHOLD:
        return load_records(engine, records, commit=commit, guard=checked)
    with RichProgress(console=console, transient=True) as bar:
        task = bar.add_task("loading models", total=len(records.models))
        return load_records(
            engine,
            records,
            commit=commit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            guard=checked,
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


def migrate_benchmarks(
    path: Annotated[
        Path | None,
        typer.Argument(help="A seed folder, a families/ folder or one file (default: seeds/)."),
    ] = None,
    benchmarks: Annotated[
        Path | None, typer.Option(help="The vocabulary (default: the tree's benchmarks.yaml).")
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Write nothing; exit 1 if a file would change.")
    ] = False,
) -> None:
    """Rewrite free-text benchmark names in seed files to benchmarks.yaml slugs, in place.

    Comments and layout are kept; names already in slug form are left alone, so rerunning is safe.
    """
    from registry.seeds.benchmarks import BENCHMARKS_FILE, Vocabulary
    from registry.seeds.migrate_benchmarks import migrate_file
    from registry.seeds.schema import BenchmarksFile
    from registry.seeds.validate import seed_files
    from registry.seeds.yamlio import Problem, read_yaml

    target = (path or get_settings().seeds_dir).resolve()
    files = [target] if target.is_file() else list(seed_files(target))
    if target.is_dir() and target.name == "families":
        files = sorted(target.glob("*.yaml"))
    vocabulary_file = benchmarks or _vocabulary_near(target, BENCHMARKS_FILE)
    document = read_yaml(vocabulary_file, display_path(vocabulary_file))
    if isinstance(document, Problem):
        console.print(f"error: {document}", highlight=False)
        raise typer.Exit(2)
    vocabulary = Vocabulary.of(BenchmarksFile.model_validate(document.data))
    changed = unresolved = 0
    for file in files:
        for rename in migrate_file(file, vocabulary, display=display_path(file), write=not check):
            typer.echo(str(rename))
            changed += rename.slug is not None
            unresolved += rename.slug is None
    verb = "would rewrite" if check else "rewrote"
    typer.echo(f"{verb} {changed} benchmark name(s) in {len(files)} file(s); {unresolved} unknown")
    if check and changed:
        raise typer.Exit(1)


def _vocabulary_near(target: Path, name: str) -> Path:
    """The vocabulary of the tree holding ``target``: its root's file, or one folder up."""
    for folder in (target if target.is_dir() else target.parent, *target.parents):
        if (folder / name).exists():
            return folder / name
    return get_settings().seeds_dir / name


def exact_sizes(
    path: SeedPath = None,
    skip: Annotated[
        list[str] | None, typer.Option(help="Model slugs to leave alone (repeatable).")
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Write nothing; exit 1 if a count would change.")
    ] = False,
) -> None:
    """Write the calculator's exact parameter counts into models whose config is public.

    The lab's rounded figure moves into the claim's note; see docs/CONTRIBUTING-DATA.md.
    """
    from registry.services.exact_sizes import exact_counts, make_exact

    tree = _checked(path)
    changed = 0
    for located in tree.families:
        content = located.content
        wanted = [c for c in exact_counts(content) if c[1].slug not in set(skip or [])]
        for _, change, _ in wanted:
            typer.echo(f"{located.document.path}: {change}")
        changed += len(wanted)
        if wanted and not check:
            make_exact(
                tree.root / "families" / f"{content.family.slug}.yaml",
                content,
                write=True,
                only={(c[1].slug, c[1].field) for c in wanted},
            )
    typer.echo(f"{'would change' if check else 'changed'} {changed} count(s)")
    if check and changed:
        raise typer.Exit(1)
