"""``registry probe MODEL_DIR``: measure a local checkpoint and record it beside the claims.

Counting happens without loading; loading and measuring need the optional extra ``probe``. The
run is written to the local database, or with ``--push URL --token TOKEN`` posted to a registry
server. Errors print one line on stderr and exit with status 2 (``registry.cli.errors``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from registry.errors import BadInput
from registry.models import ProbeRunCreate

Progress = Callable[[str], None]


@contextmanager
def _progress_display() -> Iterator[Progress]:
    """A spinner on stderr naming the current step (silent when stderr is not a terminal)."""
    console = Console(stderr=True)
    with console.status("starting") as status:
        yield lambda step: status.update(f"[bold]probe[/bold] {step}")


def _preflight(*, model: str | None, push: str | None, token: str | None, record: bool) -> None:
    """Fail before the slow part: a missing token, database or model slug."""
    if push and record:
        if not token:
            raise BadInput("--push needs --token (or REGISTRY_WRITE_TOKEN in the environment)")
        if model:
            from registry.probe.push import check_model

            check_model(push, model)
    elif record or model:
        from registry.probe.store import get_model
        from registry.store.engine import check_connection, get_engine, session_scope
        from registry.store.migrate import ensure_current

        engine = get_engine()
        check_connection(engine)
        ensure_current(engine)
        if model:
            with session_scope(engine) as session:
                get_model(session, slug=model)


def _save(
    run: ProbeRunCreate, *, push: str | None, token: str | None, record: bool
) -> dict[str, Any]:
    """Record ``run`` (on the server or in the local database); return the recorded run as
    JSON data. Without ``record`` nothing is written; claims are still compared locally."""
    if push and record:
        from registry.probe.push import push_run

        return push_run(run, url=push, token=token or "").model_dump(mode="json")
    data = run.model_dump(mode="json")
    if not (record or run.model_slug):
        return data
    from registry.probe.claims import compare_claims
    from registry.probe.store import get_model, public_run, record_run
    from registry.store.engine import session_scope

    with session_scope() as session:
        if record:
            return public_run(record_run(session, run)).model_dump(mode="json")
        model = get_model(session, slug=run.model_slug or "")
        return data | {"claims": compare_claims(data, model).as_dict()}


HEADLINE = (
    ("total_params", "{:,}"),
    ("active_params", "{:,}"),
    ("load_s", "{:.3f} s"),
    ("weights_bytes", "{:,} B"),
    ("peak_memory_bytes", "{:,} B"),
    ("ttft_s", "{:.4f} s"),
    ("prefill_tokens_per_s", "{:,.1f}"),
    ("decode_tokens_per_s", "{:,.1f}"),
    ("tpot_s", "{:.5f} s"),
    ("token_latency_p50_s", "{:.5f} s"),
    ("token_latency_p99_s", "{:.5f} s"),
    ("perplexity", "{:.3f}"),
    ("bits_per_byte", "{:.4f}"),
    ("decode_ceiling_tokens_per_s", "{:,.1f}"),
    ("mbu", "{:.1%}"),
    ("mfu", "{:.1%}"),
)


def _show(data: dict[str, Any]) -> None:
    """A readable table of the headline metrics and the claims."""
    title = (
        f"{data['checkpoint']} on {data['device_name']} ({data['dtype']}, batch {data['batch']})"
    )
    table = Table(title=title, show_header=False)
    for key, pattern in HEADLINE:
        if data.get(key) is not None:
            table.add_row(key, pattern.format(data[key]))
    console = Console()
    console.print(table)
    for note in (data.get("roofline_note"), data.get("notes")):
        if note:
            console.print(f"note: {note}", highlight=False)
    claims = data.get("claims")
    if claims:
        console.print(claims["summary"], highlight=False)
        for check in claims["checks"]:
            if not check["matches"]:
                console.print(
                    f"differs: {check['field']} measured {check['measured']:,} against "
                    f"claimed {check['claimed']:,} ({check['difference']:+.2%})",
                    highlight=False,
                )


def probe(
    model_dir: Annotated[
        Path, typer.Argument(help="Hugging Face checkpoint directory or GGUF file.")
    ],
    model: Annotated[str | None, typer.Option(help="Registry slug to compare with.")] = None,
    device: Annotated[str, typer.Option(help="auto, cuda or cpu.")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto, bfloat16, float16 or float32.")] = "auto",
    batch: Annotated[int, typer.Option(help="Sequences per generation.")] = 1,
    prompt_tokens: Annotated[int, typer.Option(help="Prompt length in tokens.")] = 256,
    new_tokens: Annotated[int, typer.Option(help="Tokens generated per run.")] = 64,
    warmup: Annotated[int, typer.Option(help="Untimed runs first.")] = 2,
    runs: Annotated[int, typer.Option(help="Timed runs.")] = 5,
    text: Annotated[
        Path | None,
        typer.Option(help="UTF-8 text for perplexity (default: a bundled public-domain sample)."),
    ] = None,
    fast: Annotated[
        bool,
        typer.Option("--fast", help="Static KV cache; transformers compiles the forward on CUDA."),
    ] = False,
    push: Annotated[
        str | None,
        typer.Option(help="Registry server URL to post the run to instead of the local database."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="REGISTRY_WRITE_TOKEN", help="Write token of the --push server."),
    ] = None,
    record: Annotated[bool, typer.Option(help="Record the run (locally or with --push).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    count_only: Annotated[
        bool,
        typer.Option("--count-only", help="Count parameters without loading (no torch needed)."),
    ] = False,
) -> None:
    """Count, load and measure the checkpoint in MODEL_DIR; record it beside the claims."""
    if count_only:
        _count_only(model_dir, as_json=as_json)
        return
    from registry.probe.formats import count_path
    from registry.probe.runner import ProbeSettings, run_probe

    settings = ProbeSettings(
        model_dir=model_dir,
        model_slug=model,
        device=device,
        dtype=dtype,
        batch=batch,
        prompt_tokens=prompt_tokens,
        new_tokens=new_tokens,
        warmup=warmup,
        runs=runs,
        text=text,
        fast_path=fast,
    )
    count_path(model_dir)  # a bad path or architecture fails before anything else
    _preflight(model=model, push=push, token=token, record=record)
    with _progress_display() as progress:
        run = run_probe(settings, progress=progress)
    data = _save(run, push=push, token=token, record=record)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        _show(data)


def _count_only(path: Path, *, as_json: bool) -> None:
    """``--count-only``: the logical counts of a directory or GGUF file, nothing loaded."""
    from registry.probe.formats import count_report

    data = count_report(path)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(
        title=f"{data['path']} ({data['format']}, {data['model_type']})", show_header=False
    )
    for key in ("total_params", "active_params", "weights_bytes", "quantized_params"):
        if data[key] is not None:
            table.add_row(key, f"{data[key]:,}")
    for key in ("bits_per_weight", "quant_method", "quant_bits", "group_size"):
        if data[key] is not None:
            table.add_row(key, str(data[key]))
    for part, count in data["components"].items():
        if count:
            table.add_row(f"  {part}", f"{count:,}")
    console = Console()
    console.print(table)
    for note in data["notes"]:
        console.print(f"note: {note}", highlight=False)
