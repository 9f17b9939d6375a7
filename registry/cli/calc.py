"""``registry calc ...`` and ``registry fit``: options built from the calculator's input models.

Each command's options are the fields of its input model (``registry.services.calc_inputs``) with
dashes (``--inference-tokens``), so names, help, limits and errors are those of the API and the
pages; values take the forms people write (``--tokens 15T``). ``--json`` prints the API's JSON;
otherwise a table of labelled values with units (``registry.services.calc_display``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from registry.calc import Architecture, CalcError, ConfigError, architecture_from_hf_config
from registry.calc.saved_fits import save_fit
from registry.cli.errors import option_name, reports_errors
from registry.config import get_settings
from registry.numbers import humanize_count
from registry.services import calculator
from registry.services.calc_display import result_rows
from registry.services.calc_inputs import (
    COST_FIELDS,
    CalcInput,
    FitInput,
    InferenceOptimalInput,
    MemoryInput,
    OptimalInput,
    ParamsInput,
    PlaceInput,
)

calc_app = typer.Typer(
    name="calc", help="Scaling-law calculator: where a model stands.", no_args_is_help=True
)
JSON_OPTION = inspect.Parameter(
    "as_json",
    inspect.Parameter.KEYWORD_ONLY,
    default=False,
    annotation=Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")],
)
COST_PANEL = "Cost form (Sardana et al. 2024): all or none"


def _options(model: type[CalcInput]) -> list[inspect.Parameter]:
    """One typer option per field of ``model``; values stay text until the model parses them."""
    options = []
    for name, field in model.model_fields.items():
        default = None if field.is_required() else field.default
        shown = "" if default in (None, False) else f" [default: {default}]"
        option = typer.Option(
            option_name(name),
            help=f"{field.description or ''}{shown}",
            show_default=False,
            rich_help_panel=COST_PANEL if name in COST_FIELDS else None,
        )
        annotation = (
            Annotated[bool, option] if field.annotation is bool else Annotated[str | None, option]
        )
        options.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default if field.annotation is bool else None,
                annotation=annotation,
            )
        )
    return options


def tool(
    app: typer.Typer,
    name: str,
    model: type[CalcInput],
    answer: Callable[..., Mapping[str, Any]],
    *,
    arguments: tuple[inspect.Parameter, ...] = (),
    title: Callable[..., str],
) -> None:
    """Register ``name`` on ``app``: parse the options into ``model``, answer, print."""

    def command(**given: Any) -> None:
        as_json = given.pop("as_json")
        extra = {parameter.name: given.pop(parameter.name) for parameter in arguments}
        inputs = model(**{key: value for key, value in given.items() if value is not None})
        emit(answer(inputs, **extra), as_json=as_json, title=title(inputs, **extra))

    parameters = [*arguments, *_options(model), JSON_OPTION]
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = model.__doc__
    app.command(name)(reports_errors(command))


def emit(data: Mapping[str, Any], *, as_json: bool, title: str) -> None:
    """Print ``data`` as the API's JSON, or as a table of labelled values with units."""
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title=title, show_header=False)
    for label, value in result_rows(data):
        table.add_row(label, value)
    Console().print(table)


def read_config(path: Path) -> Any:
    """A config.json file's mapping; errors name the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None


def _architecture(inputs: MemoryInput, config: Path | None) -> Architecture:
    """The architecture of ``config``, or of the registry model ``--model`` names."""
    if config is not None:
        try:
            return architecture_from_hf_config(read_config(config))
        except CalcError as error:
            raise ConfigError(f"{config}: {error}") from None
    if inputs.model is None:
        raise CalcError("give a config.json, or --model with a registry model's slug")
    from registry.services.knowledge import model_architecture
    from registry.store.engine import check_connection, get_engine, session_scope

    engine = get_engine()
    check_connection(engine)
    with session_scope(engine) as session:
        return model_architecture(session, slug=inputs.model)


def _params(inputs: ParamsInput, config: Path) -> Mapping[str, Any]:
    try:
        return calculator.params(inputs, read_config(config))
    except CalcError as error:
        raise ConfigError(f"{config}: {error}") from None


def _fit(inputs: FitInput, runs: Path, save: str | None) -> Mapping[str, Any]:
    table = calculator.runs_from_frame(pd.read_csv(runs), origin=str(runs), **inputs.columns())
    output, result = calculator.fit(inputs, table)
    if save:
        law = result.as_fit(save, source=f"fitted to {runs}")
        path = save_fit(get_settings().fits_path, law, {"runs_used": result.runs_used})
        output["saved_to"] = str(path)
    return output


def _argument(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
    return inspect.Parameter(
        name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation
    )


CONFIG = Annotated[Path, typer.Argument(help="A Hugging Face config.json.")]
tool(calc_app, "optimal", OptimalInput, calculator.optimal,
     title=lambda i: f"Compute-optimal at {i.flops:.3g} FLOPs")  # fmt: skip
tool(
    calc_app,
    "place",
    PlaceInput,
    calculator.place,
    title=lambda i: f"{humanize_count(i.params)} on {humanize_count(i.tokens)} tokens",
)
tool(calc_app, "inference-optimal", InferenceOptimalInput, calculator.inference_optimal,
     title=lambda i: "Inference-optimal model")  # fmt: skip
tool(calc_app, "params", ParamsInput, _params, arguments=(_argument("config", CONFIG),),
     title=lambda i, config: f"Parameters of {config}")  # fmt: skip
tool(
    calc_app,
    "memory",
    MemoryInput,
    lambda inputs, config: calculator.memory(inputs, _architecture(inputs, config)),
    arguments=(
        _argument(
            "config",
            Annotated[
                Path | None,
                typer.Argument(help="A Hugging Face config.json (or give --model SLUG)."),
            ],
            None,
        ),
    ),
    title=lambda i, config: f"Memory of {config or i.model}",
)

fit_app = typer.Typer()
tool(
    fit_app,
    "fit",
    FitInput,
    _fit,
    arguments=(
        _argument("runs", Annotated[Path, typer.Argument(help="CSV of training runs.")]),
        inspect.Parameter(
            "save",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, typer.Option("--save", help="Save the fit under this --fit name.")
            ],
        ),
    ),
    title=lambda i, runs, save: f"Fit to {runs}",
)
fit = fit_app.registered_commands[0].callback
