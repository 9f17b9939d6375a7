"""Placement charts: one model, a comparison, and every model (``/scaling``)."""

from __future__ import annotations

from typing import Any

import altair as alt

from registry.calc import Law
from registry.web.charts.frame import (
    ACCESS_DOMAIN,
    ACCESS_RANGE,
    HEIGHT,
    SHAPE_DOMAIN,
    SHAPE_RANGE,
    WIDTH,
    Domain,
    domain_around,
    frame_layers,
    log_x,
    log_y,
    point_rows,
)

TOOLTIP = [
    alt.Tooltip("name:N", title="model"),
    alt.Tooltip("family:N"),
    alt.Tooltip("access:N"),
    alt.Tooltip("architecture:N"),
    alt.Tooltip("params_label:N", title="N (active)"),
    alt.Tooltip("total_label:N", title="N (total)"),
    alt.Tooltip("tokens_label:N", title="tokens"),
    alt.Tooltip("tokens_per_param:Q", title="tokens/param", format=",.0f"),
    alt.Tooltip("overtrain_factor:Q", title="× compute-optimal ratio", format=",.2f"),
]


def _axes(domain: Domain) -> tuple[alt.X, alt.Y]:
    return log_x(domain.params), log_y(domain.tokens)


def _models_layer(rows: list[dict[str, Any]], domain: Domain, *, labels: bool) -> list[alt.Chart]:
    x, y = _axes(domain)
    base = alt.Chart(alt.Data(values=rows))
    points = base.mark_point(filled=True, size=70, opacity=0.85, clip=True).encode(
        x,
        y,
        color=alt.Color(
            "access:N", scale=alt.Scale(domain=ACCESS_DOMAIN, range=ACCESS_RANGE), title="access"
        ),
        shape=alt.Shape(
            "architecture:N",
            scale=alt.Scale(domain=SHAPE_DOMAIN, range=SHAPE_RANGE),
            title="architecture",
        ),
        tooltip=TOOLTIP,
    )
    if not labels:
        return [points]
    text = base.mark_text(align="left", dx=7, dy=-6, fontSize=11, clip=True).encode(
        x, y, text="name:N"
    )
    return [points, text]


def models_chart(
    law: Law, models: list[dict[str, Any]], *, labels: bool, domain: Domain | None = None
) -> alt.LayerChart:
    """Placed models (dicts with name, params, tokens, access, ...) in the frame of ``law``."""
    rows = point_rows(models)
    domain = domain or domain_around([r["params"] for r in rows], [r["tokens"] for r in rows])
    layers = [*frame_layers(law, domain), *_models_layer(rows, domain, labels=labels)]
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)


def placement_chart(law: Law, model: dict[str, Any], placement: dict[str, Any]) -> alt.LayerChart:
    """One model, the compute-optimal model of the same compute, and the iso-FLOP line joining them.

    ``model`` holds name, family, access, architecture; ``placement`` is ``views.placement_of``.
    """
    optimal = placement["optimal"]
    params = [placement["active_params"], optimal["params"]]
    tokens = [placement["tokens"], optimal["tokens"]]
    domain = domain_around(params, tokens, margin=30.0)
    x, y = _axes(domain)
    budget = placement["flops"]
    same_compute = [{"params": p, "tokens": budget / (6 * p)} for p in domain.params]
    optimum = [
        {
            "params": optimal["params"],
            "tokens": optimal["tokens"],
            "name": f"compute-optimal at {budget:.2g} FLOPs",
        }
    ]
    row = {
        **model,
        "params": placement["active_params"],
        "total_params": placement["params"],
        "tokens": placement["tokens"],
        "tokens_per_param": placement["tokens_per_param"],
        "overtrain_factor": placement["overtrain_factor"],
    }
    layers = [
        *frame_layers(law, domain),
        alt.Chart(alt.Data(values=same_compute))
        .mark_line(color="#2ca02c", strokeWidth=2, clip=True)
        .encode(x, y),
        alt.Chart(alt.Data(values=optimum))
        .mark_point(shape="circle", size=110, color="#222", filled=False, strokeWidth=2)
        .encode(x, y, tooltip=[alt.Tooltip("name:N", title="point")]),
        alt.Chart(alt.Data(values=optimum))
        .mark_text(align="right", dx=-9, dy=12, fontSize=11, color="#222")
        .encode(x, y, text="name:N"),
        *_models_layer(point_rows([row]), domain, labels=True),
    ]
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
