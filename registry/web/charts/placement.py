"""Placement charts: one model, a comparison, and every model (``/scaling``)."""

from __future__ import annotations

from typing import Any

import altair as alt

from registry.calc import Law
from registry.web.charts.frame import (
    HEIGHT,
    NARROW_HEIGHT,
    WIDTH,
    Domain,
    access_color,
    arch_shape,
    domain_around,
    frame_layers,
    log_x,
    log_y,
    point_rows,
)
from registry.web.charts.labels import CHAR_PX, pick_labels, position
from registry.web.rendering import power10

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


def _models_layer(
    rows: list[dict[str, Any]],
    domain: Domain,
    *,
    labels: bool,
    size: tuple[int, int],
    label_limit: int | None = None,
    highlight: str | None = None,
) -> list[alt.Chart]:
    """The models' points (links), names where they fit, a ring on ``highlight``."""
    x, y = _axes(domain)
    marked = [r for r in rows if r.get("slug") == highlight]
    others = [r for r in rows if r.get("slug") != highlight]
    encoding: dict[str, Any] = {
        "color": access_color(rows),
        "shape": arch_shape(rows),
        "tooltip": TOOLTIP,
    }
    if any("href" in r for r in rows):
        encoding["href"] = alt.Href("href:N")
    opacity = 0.45 if marked else 0.85
    layers = [
        alt.Chart(alt.Data(values=rows))
        .mark_point(filled=True, size=70, opacity=opacity, clip=True, cursor="pointer")
        .encode(x, y, **encoding)
    ]
    if marked:
        layers.append(
            alt.Chart(alt.Data(values=marked))
            .mark_point(size=420, filled=False, strokeWidth=3, color="#111", clip=True)
            .encode(
                x, y, tooltip=TOOLTIP, **({"href": encoding["href"]} if "href" in encoding else {})
            )
        )
    if not labels:
        return layers
    named = pick_labels(
        [*marked, *others],
        params=domain.params,
        tokens=domain.tokens,
        width=size[0],
        height=size[1],
        limit=label_limit,
    )
    for align, dx in (("left", 7), ("right", -7)):
        chosen = [r for r in named if r["label"] and r["align"] == align]
        if not chosen:
            continue
        bold = [r for r in chosen if r.get("slug") == highlight]
        plain = [r for r in chosen if r.get("slug") != highlight]
        for group, weight in ((plain, "normal"), (bold, "bold")):
            if group:
                layers.append(
                    alt.Chart(alt.Data(values=group))
                    .mark_text(align=align, dx=dx, dy=-6, fontSize=11, fontWeight=weight, clip=True)
                    .encode(x, y, text="label:N")
                )
    return layers


def models_chart(
    law: Law,
    models: list[dict[str, Any]],
    *,
    labels: bool,
    domain: Domain | None = None,
    width: int = WIDTH,
    label_limit: int | None = None,
    highlight: str | None = None,
) -> alt.LayerChart:
    """Placed models (dicts with name, params, tokens, access, ...) in the frame of ``law``.

    Names go to the models in the order given, as many as fit without overlapping (at most
    ``label_limit``); ``highlight`` (a slug) is ringed, named in bold and named first.
    """
    rows = point_rows(models)
    domain = domain or domain_around([r["params"] for r in rows], [r["tokens"] for r in rows])
    height = HEIGHT if width >= WIDTH else NARROW_HEIGHT
    layers = [
        *frame_layers(law, domain),
        *_models_layer(
            rows,
            domain,
            labels=labels,
            size=(width, height),
            label_limit=label_limit,
            highlight=highlight,
        ),
    ]
    return alt.layer(*layers).properties(width=width, height=height)


def placement_chart(
    law: Law, model: dict[str, Any], placement: dict[str, Any], *, width: int = WIDTH
) -> alt.LayerChart:
    """One model, the compute-optimal model of the same compute, and the iso-FLOP line joining them.

    ``model`` holds name, family, access, architecture; ``placement`` is ``views.placement_of``.
    """
    optimal = placement["optimal"]
    params = [placement["active_params"], optimal["params"]]
    tokens = [placement["tokens"], optimal["tokens"]]
    domain = domain_around(params, tokens, margin=30.0)
    height = HEIGHT if width >= WIDTH else NARROW_HEIGHT
    x, y = _axes(domain)
    budget = placement["flops"]
    same_compute = [{"params": p, "tokens": budget / (6 * p)} for p in domain.params]
    optimum = [
        {
            "params": optimal["params"],
            "tokens": optimal["tokens"],
            "name": f"compute-optimal at {power10(budget)} FLOPs",
        }
    ]
    # The optimum's name goes left of it, unless it would run off the chart's left edge.
    left_room = position(optimal["params"], *domain.params, width)
    side = "right" if left_room > CHAR_PX * len(optimum[0]["name"]) + 12 else "left"
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
        .mark_text(align=side, dx=-9 if side == "right" else 9, dy=12, fontSize=11, color="#222")
        .encode(x, y, text="name:N"),
        *_models_layer(point_rows([row]), domain, labels=True, size=(width, height)),
    ]
    return alt.layer(*layers).properties(width=width, height=height)
