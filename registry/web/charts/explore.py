"""Charts of the landscape: MoE parameters, context over time, evaluations, a family, sizes."""

from __future__ import annotations

from typing import Any

import altair as alt

from registry.numbers import humanize_count
from registry.web.charts.frame import (
    BINARY_LABELS,
    NARROW_HEIGHT,
    SI_LABELS,
    WIDTH,
    access_color,
    binary_ticks,
    log_ticks,
    time_x,
)

COARSE_EXPERTS = 16  # Mixtral 8x7B, 8x22B, Grok, Phi-3.5-MoE 16x3.8B
HREF = alt.Href("href:N")


def _labelled(rows: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    """Rows with a '<field>_label' short count for each of ``fields`` (for tooltips), and the
    link to the model's page (each point opens it)."""
    return [
        {
            **r,
            **{f"{f}_label": humanize_count(r.get(f)) for f in fields},
            **({"href": f"/models/{r['slug']}"} if r.get("slug") else {}),
        }
        for r in rows
    ]


def _height(width: int, height: int) -> int:
    return height if width >= WIDTH else min(height, NARROW_HEIGHT)


def moe_split_chart(rows: list[dict[str, Any]], *, width: int = WIDTH) -> alt.LayerChart:
    """Stacked bars of shared and routed-expert parameters, with a tick at E x (dense size).

    Only coarse-grained MoE (named "E x size", like 8x7B) is drawn: for hundreds of small experts
    "E x the dense model of one expert" is no size anyone quotes.
    """
    parts = []
    rows = [r for r in rows if r["naive_params"] and r["experts"] <= COARSE_EXPERTS]
    for r in rows:
        for part, value in (("shared", r["shared_params"]), ("routed experts", r["routed_params"])):
            parts.append(
                {
                    "name": r["name"],
                    "href": f"/models/{r['slug']}",
                    "part": part,
                    "value": value,
                    "value_label": humanize_count(value),
                }
            )
    ticks = _labelled([r for r in rows if r["naive_params"]], "naive_params", "total_params")
    order = [r["name"] for r in sorted(ticks, key=lambda r: r["total_params"])]
    y = alt.Y("name:N", sort=order, title=None)
    bars = (
        alt.Chart(alt.Data(values=parts))
        .mark_bar()
        .encode(
            alt.X(
                "value:Q",
                stack="zero",
                title="parameters",
                axis=alt.Axis(labelExpr=SI_LABELS),
            ),
            y,
            href=HREF,
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=["shared", "routed experts"], range=["#1f77b4", "#aec7e8"]),
                title="parameters",
            ),
            tooltip=["name:N", "part:N", alt.Tooltip("value_label:N", title="parameters")],
        )
    )
    naive = (
        alt.Chart(alt.Data(values=ticks))
        .mark_tick(color="#d62728", thickness=2, size=16)
        .encode(
            alt.X("naive_params:Q"),
            y,
            tooltip=[
                "name:N",
                alt.Tooltip("naive_params_label:N", title="E × dense size"),
                alt.Tooltip("total_params_label:N", title="actual total"),
            ],
        )
    )
    return alt.layer(bars, naive).properties(width=width, height=max(120, 22 * len(ticks)))


def moe_scatter_chart(rows: list[dict[str, Any]], *, width: int = WIDTH) -> alt.LayerChart:
    """Total against active parameters (log-log) with the dense diagonal active = total."""
    points = _labelled([r for r in rows if r["active_params"]], "total_params", "active_params")
    low = min(r["active_params"] for r in points) / 2
    high = max(r["total_params"] for r in points) * 2
    scale = alt.Scale(type="log", domain=[low, high])
    x = alt.X(
        "total_params:Q",
        title="total parameters",
        scale=scale,
        axis=alt.Axis(labelExpr=SI_LABELS, values=log_ticks(low, high)),
    )
    y = alt.Y(
        "active_params:Q",
        title="active parameters per token",
        scale=scale,
        axis=alt.Axis(labelExpr=SI_LABELS, values=log_ticks(low, high)),
    )
    diagonal = [
        {"total_params": low, "active_params": low},
        {"total_params": high, "active_params": high},
    ]
    return alt.layer(
        alt.Chart(alt.Data(values=diagonal))
        .mark_line(color="#999", strokeDash=[4, 4])
        .encode(x, y),
        alt.Chart(alt.Data(values=points))
        .mark_point(filled=True, size=70, cursor="pointer")
        .encode(
            x,
            y,
            color=access_color(points),
            href=HREF,
            tooltip=[
                "name:N",
                "family:N",
                alt.Tooltip("total_params_label:N", title="total"),
                alt.Tooltip("active_params_label:N", title="active"),
                "experts:Q",
                "experts_per_token:Q",
            ],
        ),
    ).properties(width=width, height=_height(width, 380))


def context_chart(rows: list[dict[str, Any]], *, width: int = WIDTH) -> alt.Chart:
    """Context length (log 2) against release date, coloured by access; years on the axis."""
    lengths = [r["context_length"] for r in rows]
    ticks = binary_ticks(min(lengths), max(lengths), log=True)
    return (
        alt.Chart(alt.Data(values=_labelled(rows, "context_length")))
        .mark_point(filled=True, size=60, opacity=0.8, cursor="pointer")
        .encode(
            time_x([r["date"] for r in rows]),
            alt.Y(
                "context_length:Q",
                title="context length (tokens)",
                scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(labelExpr=BINARY_LABELS, values=ticks),
            ),
            color=access_color(rows),
            href=HREF,
            tooltip=[
                "name:N",
                "family:N",
                alt.Tooltip("date:T", title="released", format="%b %Y"),
                alt.Tooltip("context_length:Q", title="context", format=","),
            ],
        )
        .properties(width=width, height=_height(width, 380))
    )


def evaluations_chart(rows: list[dict[str, Any]], *, benchmark: str) -> alt.Chart:
    """Scores against training compute, zero- and few-shot apart; ``rows`` share one benchmark
    and one metric, named in ``benchmark`` ('MMLU, accuracy')."""
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_point(filled=True, size=70)
        .encode(
            alt.X(
                "training_flops:Q",
                title="training compute (FLOPs)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format=".0e"),
            ),
            alt.Y("score:Q", title=f"{benchmark} score", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "setting:N",
                title="shots",
                scale=alt.Scale(
                    domain=["zero-shot", "few-shot", "unstated"],
                    range=["#1f77b4", "#ff7f0e", "#7f7f7f"],
                ),
            ),
            shape=alt.Shape("chain_of_thought:N", title="chain of thought"),
            tooltip=[
                "name:N",
                "score:Q",
                "metric:N",
                "shots:Q",
                "chain_of_thought:N",
                alt.Tooltip("training_flops:Q", title="FLOPs", format=".2e"),
            ],
        )
        .properties(width=WIDTH, height=380, title=benchmark)
    )


def family_chart(rows: list[dict[str, Any]], *, width: int = WIDTH) -> alt.LayerChart:
    """A family's members: total parameters (log) against release date, each point a link.

    Names label the points only when the family is small enough for them not to pile up; the
    members' table below the chart names every one.
    """
    data = alt.Data(values=_labelled(rows, "total_params", "training_tokens"))
    x = time_x([r["date"] for r in rows])
    y = alt.Y(
        "total_params:Q",
        title="total parameters",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(labelExpr=SI_LABELS),
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=80, cursor="pointer")
        .encode(
            x,
            y,
            color=alt.Color("stage:N", title="stage"),
            href=HREF,
            tooltip=[
                "name:N",
                "stage:N",
                alt.Tooltip("date:T", title="released", format="%b %Y"),
                alt.Tooltip("total_params_label:N", title="parameters"),
                alt.Tooltip("training_tokens_label:N", title="training tokens"),
            ],
        )
    )
    layers: list[alt.Chart] = [points]
    if len(rows) * 120 <= width:
        layers.append(
            alt.Chart(data).mark_text(align="left", dx=7, fontSize=11).encode(x, y, text="name:N")
        )
    return alt.layer(*layers).properties(width=width, height=_height(width, 360))


def bars_chart(
    rows: list[dict[str, Any]], *, field: str, title: str, log: bool, width: int = WIDTH
) -> alt.Chart:
    """One horizontal bar per model of ``field`` (rows with the field unknown are left out)."""
    known = _labelled([r for r in rows if r.get(field)], field)
    scale = alt.Scale(type="log") if log else alt.Scale()
    axis = alt.Axis(labelExpr=SI_LABELS, tickCount=6, labelOverlap="greedy")
    if field == "context_length" and known:
        values = [r[field] for r in known]
        ticks = binary_ticks(min(values), max(values), log=log)
        axis = alt.Axis(labelExpr=BINARY_LABELS, values=ticks)
    names = 160 if width >= WIDTH else 100  # room for the names left of the bars
    return (
        alt.Chart(alt.Data(values=known))
        .mark_bar(cursor="pointer")
        .encode(
            alt.X(f"{field}:Q", title=title, scale=scale, axis=axis),
            alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=names)),
            color=access_color(known),
            href=HREF,
            tooltip=["name:N", alt.Tooltip(f"{field}_label:N", title=title)],
        )
        .properties(width=width - names, height=max(80, 26 * len(known)), title=title)
    )
