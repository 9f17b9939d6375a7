"""Charts of the landscape: MoE parameters, context over time, evaluations, a family, sizes."""

from __future__ import annotations

from typing import Any

import altair as alt

from registry.numbers import humanize_count
from registry.web.charts.frame import ACCESS_DOMAIN, ACCESS_RANGE, SI_LABELS, WIDTH

COARSE_EXPERTS = 16  # Mixtral 8x7B, 8x22B, Grok, Phi-3.5-MoE 16x3.8B
ACCESS = alt.Color(
    "access:N", scale=alt.Scale(domain=ACCESS_DOMAIN, range=ACCESS_RANGE), title="access"
)


def _labelled(rows: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    """Rows with a '<field>_label' short count for each of ``fields`` (for tooltips)."""
    return [{**r, **{f"{f}_label": humanize_count(r.get(f)) for f in fields}} for r in rows]


def moe_split_chart(rows: list[dict[str, Any]]) -> alt.LayerChart:
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
                axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
            ),
            y,
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
    return alt.layer(bars, naive).properties(width=WIDTH, height=max(120, 22 * len(ticks)))


def moe_scatter_chart(rows: list[dict[str, Any]]) -> alt.LayerChart:
    """Total against active parameters (log-log) with the dense diagonal active = total."""
    points = _labelled([r for r in rows if r["active_params"]], "total_params", "active_params")
    low = min(r["active_params"] for r in points) / 2
    high = max(r["total_params"] for r in points) * 2
    scale = alt.Scale(type="log", domain=[low, high])
    x = alt.X(
        "total_params:Q",
        title="total parameters",
        scale=scale,
        axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
    )
    y = alt.Y(
        "active_params:Q",
        title="active parameters per token",
        scale=scale,
        axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
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
        .mark_point(filled=True, size=70)
        .encode(
            x,
            y,
            color=ACCESS,
            tooltip=[
                "name:N",
                "family:N",
                alt.Tooltip("total_params_label:N", title="total"),
                alt.Tooltip("active_params_label:N", title="active"),
                "experts:Q",
                "experts_per_token:Q",
            ],
        ),
    ).properties(width=WIDTH, height=380)


def context_chart(rows: list[dict[str, Any]]) -> alt.Chart:
    """Context length (log) against release date, coloured by access."""
    return (
        alt.Chart(alt.Data(values=_labelled(rows, "context_length")))
        .mark_point(filled=True, size=60, opacity=0.8)
        .encode(
            alt.X("date:T", title="release date"),
            alt.Y(
                "context_length:Q",
                title="context length (tokens)",
                scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
            ),
            color=ACCESS,
            tooltip=[
                "name:N",
                "family:N",
                alt.Tooltip("date:T", title="released"),
                alt.Tooltip("context_length:Q", title="context", format=","),
            ],
        )
        .properties(width=WIDTH, height=380)
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


def family_chart(rows: list[dict[str, Any]]) -> alt.LayerChart:
    """A family's members: total parameters (log) against release date, labelled."""
    data = alt.Data(values=_labelled(rows, "total_params", "training_tokens"))
    x = alt.X("date:T", title="release date")
    y = alt.Y(
        "total_params:Q",
        title="total parameters",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=80)
        .encode(
            x,
            y,
            color=alt.Color("stage:N", title="stage"),
            tooltip=[
                "name:N",
                "stage:N",
                alt.Tooltip("date:T", title="released"),
                alt.Tooltip("total_params_label:N", title="parameters"),
                alt.Tooltip("training_tokens_label:N", title="training tokens"),
            ],
        )
    )
    labels = alt.Chart(data).mark_text(align="left", dx=7, fontSize=10).encode(x, y, text="name:N")
    return alt.layer(points, labels).properties(width=WIDTH, height=360)


def bars_chart(rows: list[dict[str, Any]], *, field: str, title: str, log: bool) -> alt.Chart:
    """One horizontal bar per model of ``field`` (rows with the field unknown are left out)."""
    known = _labelled([r for r in rows if r.get(field)], field)
    scale = alt.Scale(type="log") if log else alt.Scale()
    return (
        alt.Chart(alt.Data(values=known))
        .mark_bar()
        .encode(
            alt.X(
                f"{field}:Q",
                title=title,
                scale=scale,
                axis=alt.Axis(format="~s", labelExpr=SI_LABELS),
            ),
            alt.Y("name:N", sort=None, title=None),
            color=ACCESS,
            tooltip=["name:N", alt.Tooltip(f"{field}_label:N", title=title)],
        )
        .properties(width=WIDTH - 160, height=max(80, 26 * len(known)), title=title)
    )
