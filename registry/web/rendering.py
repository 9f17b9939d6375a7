"""Rendering pages: the Jinja2 environment, number filters and the one ``page`` helper.

A page handler builds one dict (from the same ``registry.services.views``/``queries`` functions the
JSON API calls) and hands it to ``page``, together with the URL of its JSON twin. Domain errors
become an HTML error page carrying the error's status, so a page never shows a traceback."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from registry.calc import DEFAULT_FIT, FIT_DESCRIPTIONS, FIT_TITLES, fit_title
from registry.errors import RegistryError
from registry.numbers import humanize_count
from registry.resources import resource_dir
from registry.services.calculator import fit_choices
from registry.web.assets import static_url
from registry.web.vendor import BUNDLE_URL

TEMPLATES_DIR = resource_dir("templates")
NAV = (
    ("/", "Models"),
    ("/families", "Families"),
    ("/scaling", "Scaling"),
    ("/moe", "MoE"),
    ("/context", "Context"),
    ("/evaluations", "Evaluations"),
    ("/compare", "Compare"),
    ("/calculator", "Calculator"),
    ("/fit", "Fit"),
)
# Fields shown as short counts (46.7B), as powers of ten (3.8e25) and as plain numbers.
COUNT_FIELDS = {
    "total_params",
    "active_params",
    "training_tokens",
    "params",
    "tokens",
    "inference_tokens",
    "break_even_inference_tokens",
}
FLOPS_FIELDS = {"training_flops", "flops", "flops_for_same_loss"}


def count(value: float | None) -> str:
    """46700000000 -> '46.7B'; None -> an em dash."""
    return humanize_count(value)


def flops(value: float | None) -> str:
    """3.8e25 -> '3.8e25'; None -> an em dash."""
    if value is None or not math.isfinite(value):
        return "—"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power10(value: float | None, digits: int = 2) -> str:
    """3.8e25 -> '3.8 × 10²⁵': scientific notation as printed, not as typed; None -> '—'."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    power = f"10{str(int(exponent)).translate(SUPERSCRIPT)}"
    return power if float(mantissa) == 1 else f"{float(mantissa):g} × {power}"


def gigabytes(value: float | None) -> str:
    """141107412992 bytes -> '141.1 GB' (10^9 bytes, as disks and GPU sheets count)."""
    if value is None or not math.isfinite(value):
        return "—"
    scaled, unit = next(
        (value / scale, unit)
        for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1, "bytes"))
        if value >= scale * 0.1 or scale == 1
    )
    return f"{scaled:,.1f}".removesuffix(".0") + f" {unit}"


def tokens(value: int | None) -> str:
    """A context length: 131072 -> '131,072 (128k)'; 8192 -> '8,192 (8k)'; 2048000 -> '2,048,000'.

    Lengths that are a whole number of 1,024s are what people call '128k' (docs/SCIENCE.md
    section 1).
    """
    if value is None:
        return "—"
    if value >= 1024 and value % 1024 == 0:
        short = f"{value // 1024}k" if value < 1024**2 else f"{value / 1024**2:g}M"
        return f"{value:,} ({short})"
    return f"{value:,}"


def source_label(url: str | None) -> str:
    """A source link's text: 'arXiv 2404.10102', 'meta-llama/llama-models', or the domain."""
    if not url:
        return "source"
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host == "arxiv.org" and len(path) >= 2:
        return f"arXiv {path[1].removesuffix('.pdf')}"
    if host in {"github.com", "huggingface.co"} and len(path) >= 2:
        label = f"{path[0]}/{path[1]}"
        if host == "huggingface.co" and path[0] not in {"datasets", "spaces", "docs", "blog"}:
            label = f"Hugging Face {path[1]}"
        if len(path) > 2 and "." in path[-1]:
            label += f" {path[-1]}"
        return label
    return host or "source"


def number(value: float | None, digits: int = 3) -> str:
    """A plain number to ``digits`` significant figures with thousands separators."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int) or abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def field_value(value: Any, name: str = "") -> str:
    """Any model field as a person reads it (lists joined, booleans as yes/no)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(getattr(v, "value", v)) for v in value) or "—"
    if name in FLOPS_FIELDS:
        return flops(value)
    if name in COUNT_FIELDS:
        return count(value)
    if isinstance(value, int | float):
        return number(value)
    return str(getattr(value, "value", value))


def fit_options() -> list[tuple[str, str, str]]:
    """Every fit a user can pick (built-in and saved: ``services.calculator.fit_choices``) as
    (name, what it is, a sentence on it), the default first, for ``_fit_picker.html``."""
    choices = fit_choices()
    names = sorted(choices, key=lambda name: name != DEFAULT_FIT)
    return [
        (
            name,
            FIT_TITLES.get(name, name),
            FIT_DESCRIPTIONS.get(name, f"Saved fit: {choices[name]}."),
        )
        for name in names
    ]


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.autoescape = (
        True  # every template, whatever its extension: seed text is contributor-supplied
    )
    env.filters.update(
        count=count,
        flops=flops,
        number=number,
        field=field_value,
        power10=power10,
        gigabytes=gigabytes,
        tokens=tokens,
        source_label=source_label,
        fit_title=fit_title,
    )
    env.globals.update(
        nav=NAV, vega_bundle_url=BUNDLE_URL, fit_options=fit_options, static=static_url
    )
    return templates


templates = _templates()


def page(
    request: Request,
    template: str,
    build: Callable[[], Mapping[str, Any]],
    *,
    json_url: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    """``template`` with the dict ``build()`` returns; a domain error renders error.html."""
    try:
        context = dict(build())
    except RegistryError as exc:
        return error_page(request, exc.message, status_code=exc.status_code, json_url=json_url)
    context.setdefault("json_url", json_url)
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def error_page(
    request: Request, message: str, *, status_code: int, json_url: str | None = None
) -> HTMLResponse:
    """The error page: the message (escaped) and the status."""
    context = {"message": message, "status_code": status_code, "json_url": json_url}
    template = "404.html" if status_code == 404 else "error.html"
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def with_query(path: str, query: str) -> str:
    """``path`` with ``query`` appended when it is not empty."""
    return f"{path}?{query}" if query else path
