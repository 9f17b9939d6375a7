"""The ``registry`` command line: the root app, its command groups, and the console entry point.

Each group lives in its own module (``seeds``, ``history``, ``db``, ``server``, ``calc``,
``probe``); every command is registered through ``reports_errors``, so bad input prints one line
and exits 2.
"""

from __future__ import annotations

import typer

from registry.cli import history, seeds
from registry.cli.calc import calc_app, fit
from registry.cli.db import db_app
from registry.cli.errors import HANDLED, fail, reports_errors
from registry.cli.probe import probe
from registry.cli.server import serve

app = typer.Typer(
    name="registry",
    help="Model-family registry: seeds, database, calculator and server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for name, command in (
    ("validate", seeds.validate),
    ("seed", seeds.seed),
    ("diff", seeds.diff),
    ("schema", seeds.schema),
    ("serve", serve),
    ("fit", fit),
    ("probe", probe),
    ("history", history.history),
    ("export", history.export),
):
    app.command(name)(reports_errors(command))
app.add_typer(db_app, name="db")
app.add_typer(calc_app, name="calc")


def main() -> None:
    """Console entry point: the handled errors print as one line, without a traceback."""
    try:
        app()
    except HANDLED as error:
        raise SystemExit(fail(error).exit_code) from None
