"""The log-log frame of parameters against training tokens, shared by every placement chart.

Its layers: iso-FLOP lines (C = 6ND, Kaplan et al. 2020), the 20 tokens-per-parameter rule of
thumb (Hoffmann et al. 2022, Approach 1) and the chosen fit's compute-optimal frontier
(N_opt(C), D_opt(C); docs/SCIENCE.md section 4). Models are drawn on top by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np

from registry.calc import Law, compute_optimal
from registry.numbers import humanize_count
from registry.web.rendering import power10

RULE_OF_THUMB_TOKENS_PER_PARAM = 20.0  # Hoffmann et al. 2022: ~20 tokens per parameter
WIDTH, HEIGHT = 720, 440
# The phone variant (docs/PAGES.md, "Charts and caching"): a 390 px screen less the page's margins,
# the y axis and its title; text keeps its size instead of shrinking with a scaled-down SVG.
NARROW_WIDTH, NARROW_HEIGHT = 270, 300
# Access (docs/SCIENCE.md section 1) -> colour; a fixed scale keeps colours the same on every page.
ACCESS_DOMAIN = ["api", "open-weights", "both", "unreleased"]
ACCESS_RANGE = ["#d62728", "#1f77b4", "#9467bd", "#7f7f7f"]
SHAPE_DOMAIN = ["dense", "moe", "unknown"]
SHAPE_RANGE = ["circle", "diamond", "square"]
PARAMS_TITLE = "parameters N (active for MoE)"
TOKENS_TITLE = "training tokens D"
# Short SI ticks (128k, 16M, 1T: at most three significant figures, never 16.777216M); d3's
# prefix for 1e9 is G (giga), people write B for billions of parameters and tokens.
SI_LABELS = "replace(format(datum.value, '.3~s'), 'G', 'B')"
# Context lengths are powers of two: 131,072 reads "128k", 16,777,216 "16M" (multiples of 1,024).
BINARY_LABELS = (
    "datum.value >= 1048576 ? format(datum.value / 1048576, '.3~') + 'M' : "
    "datum.value >= 1024 ? format(datum.value / 1024, '.3~') + 'k' : format(datum.value, '~')"
)


@dataclass(frozen=True, kw_only=True)
class Domain:
    """The visible ranges: parameters (x) and tokens (y), as powers of ten."""

    params: tuple[float, float]
    tokens: tuple[float, float]


def domain_around(params: list[float], tokens: list[float], *, margin: float = 3.0) -> Domain:
    """Whole decades holding every (params, tokens) point with ``margin`` to spare."""

    def decades(values: list[float]) -> tuple[float, float]:
        low = math.floor(math.log10(min(values) / margin))
        high = math.ceil(math.log10(max(values) * margin))
        return 10.0**low, 10.0**high

    return Domain(params=decades(params), tokens=decades(tokens))


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values of a log axis from ``low`` to ``high``: few enough that labels never collide.

    Up to 1.5 decades: 1, 2, 3, 5, 7 of each; up to 3: 1, 2, 5; up to 6: 1, 3; beyond: powers of 10.
    """
    span = math.log10(high / low)
    steps = (
        [1, 2, 3, 5, 7] if span <= 1.5 else [1, 2, 5] if span <= 3 else [1, 3] if span <= 6 else [1]
    )
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for step in steps:
            value = step * 10.0**exponent
            if low * 0.999 <= value <= high * 1.001:
                ticks.append(value)
    return ticks


def binary_ticks(low: float, high: float, *, log: bool) -> list[float]:
    """Tick values of a context-length axis at multiples of 1,024 (128k = 131,072).

    A log axis gets powers of two (every other one, or every fourth, past eight ticks); a linear
    axis gets at most six multiples of a power-of-two step.
    """
    if log:
        powers = [2.0**k for k in range(math.floor(math.log2(low)), math.ceil(math.log2(high)) + 1)]
        inside = [v for v in powers if low * 0.999 <= v <= high * 1.001]
        stride = 1 if len(inside) <= 8 else 2 if len(inside) <= 16 else 4
        # Aligned on 2^17 = 131,072, the "128k" people quote.
        return [v for v in inside if (round(math.log2(v)) - 17) % stride == 0]
    step = 1024.0
    while high / step > 6:
        step *= 2
    return [step * k for k in range(0, int(high // step) + 1)]


def log_x(domain: tuple[float, float], title: str = PARAMS_TITLE) -> alt.X:
    return alt.X(
        "params:Q",
        title=title,
        scale=alt.Scale(type="log", domain=list(domain)),
        axis=alt.Axis(
            labelExpr=SI_LABELS, grid=True, values=log_ticks(*domain), labelOverlap="greedy"
        ),
    )


def log_y(domain: tuple[float, float], title: str = TOKENS_TITLE) -> alt.Y:
    return alt.Y(
        "tokens:Q",
        title=title,
        scale=alt.Scale(type="log", domain=list(domain)),
        axis=alt.Axis(
            labelExpr=SI_LABELS, grid=True, values=log_ticks(*domain), labelOverlap="greedy"
        ),
    )


def present(domain: list[str], values: list[Any]) -> list[str]:
    """The part of a fixed colour or shape ``domain`` actually drawn: a legend lists no others."""
    seen = set(values)
    return [v for v in domain if v in seen] or domain[:1]


def access_color(rows: list[dict[str, Any]]) -> alt.Color:
    """Colour by access on the site's fixed palette, listing only the values drawn."""
    drawn = present(ACCESS_DOMAIN, [r.get("access") for r in rows])
    colours = [ACCESS_RANGE[ACCESS_DOMAIN.index(v)] for v in drawn]
    return alt.Color(
        "access:N",
        scale=alt.Scale(domain=drawn, range=colours),
        title="access",
        legend=alt.Legend(symbolOpacity=1),
    )


def arch_shape(rows: list[dict[str, Any]]) -> alt.Shape:
    """Marker by dense or MoE, listing only the kinds drawn."""
    drawn = present(SHAPE_DOMAIN, [r.get("architecture") or "unknown" for r in rows])
    shapes = [SHAPE_RANGE[SHAPE_DOMAIN.index(v)] for v in drawn]
    return alt.Shape(
        "architecture:N",
        scale=alt.Scale(domain=drawn, range=shapes),
        title="architecture",
        legend=alt.Legend(symbolOpacity=1),
    )


def time_x(dates: list[str | None], title: str = "release date") -> alt.X:
    """A date axis that always shows years: '2023' ticks, or 'Mar 2023' within two years."""
    years = sorted({d[:4] for d in dates if d})
    short = len(years) <= 2
    return alt.X(
        "date:T",
        title=title,
        axis=alt.Axis(
            format="%b %Y" if short else "%Y",
            tickCount=alt.TimeIntervalStep(interval="month", step=3)
            if short
            else alt.TimeIntervalStep(interval="year", step=1),
            labelOverlap=True,
        ),
    )


def _frontier_rows(law: Law, domain: Domain) -> list[dict[str, Any]]:
    """Points of the compute-optimal frontier spanning the frame (and a little beyond)."""
    low = 6 * domain.params[0] * domain.tokens[0] / 10
    high = 6 * domain.params[1] * domain.tokens[1] * 10
    rows = []
    for budget in np.logspace(math.log10(low), math.log10(high), 60):
        point = compute_optimal(flops=float(budget), fit=law)
        rows.append({"params": point.params, "tokens": point.tokens, "flops": point.flops})
    return rows


def iso_flop_budgets(domain: Domain) -> list[float]:
    """Powers of ten of compute whose C = 6ND lines cross the frame, every other decade."""
    low = math.ceil(math.log10(6 * domain.params[0] * domain.tokens[0]))
    high = math.floor(math.log10(6 * domain.params[1] * domain.tokens[1]))
    return [10.0**k for k in range(low, high + 1) if k % 2 == 0]


def _iso_rows(domain: Domain) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two points per iso-FLOP line, and one label per line where it leaves the frame's top."""
    lines, labels = [], []
    for budget in iso_flop_budgets(domain):
        name = f"{power10(budget)} FLOPs"
        for params in domain.params:
            lines.append({"params": params, "tokens": budget / (6 * params), "line": name})
        label_params = max(budget / (6 * domain.tokens[1]), domain.params[0])
        labels.append({"params": label_params, "tokens": budget / (6 * label_params), "text": name})
    return lines, labels


def frame_layers(law: Law, domain: Domain) -> list[alt.Chart]:
    """Iso-FLOP lines, the 20 tokens/param line and ``law``'s frontier, in the frame."""
    x, y = log_x(domain.params), log_y(domain.tokens)
    iso, iso_labels = _iso_rows(domain)
    thumb = [{"params": p, "tokens": RULE_OF_THUMB_TOKENS_PER_PARAM * p} for p in domain.params]
    frontier = _frontier_rows(law, domain)
    return [
        alt.Chart(alt.Data(values=iso))
        .mark_line(color="#bbb", strokeWidth=1, clip=True)
        .encode(x, y, detail="line:N"),
        alt.Chart(alt.Data(values=iso_labels))
        .mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=9, color="#999", clip=True)
        .encode(x, y, text="text:N"),
        alt.Chart(alt.Data(values=thumb))
        .mark_line(color="#ff7f0e", strokeDash=[6, 4], clip=True)
        .encode(x, y),
        alt.Chart(alt.Data(values=frontier))
        .mark_line(color="#222", strokeWidth=2, clip=True)
        .encode(x, y),
    ]


def point_rows(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chart rows of placed models, with the labels their tooltips show and their page's link."""
    rows = []
    for m in models:
        rows.append(
            {
                **m,
                "params_label": humanize_count(m["params"]),
                "total_label": humanize_count(m.get("total_params") or m["params"]),
                "tokens_label": humanize_count(m["tokens"]),
                "architecture": m.get("architecture") or "unknown",
                **({"href": f"/models/{m['slug']}"} if m.get("slug") else {}),
            }
        )
    return rows


def legend_note(law: Law) -> str:
    """The caption naming the frame's lines and the fit."""
    return (
        f"Solid black: compute-optimal frontier under the {law.name} fit; dashed orange: "
        f"{RULE_OF_THUMB_TOKENS_PER_PARAM:.0f} tokens per parameter; grey: iso-FLOP lines C = 6ND."
    )
