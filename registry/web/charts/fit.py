"""The fitted law against its runs: loss over compute, with the frontier extrapolated."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np

from registry.calc import ChinchillaFit, compute_optimal
from registry.web.charts.frame import WIDTH

EXTRAPOLATE_DECADES = 4  # how far past the largest run the frontier is drawn


def frontier_rows(
    law: ChinchillaFit, *, low_flops: float, high_flops: float
) -> list[dict[str, Any]]:
    """The law's compute-optimal loss from ``low_flops`` to EXTRAPOLATE_DECADES past ``high_flops``.

    Points up to ``high_flops`` (the runs' range) are 'fitted', beyond it 'extrapolated'.
    """
    end = high_flops * 10**EXTRAPOLATE_DECADES
    rows = []
    for budget in np.logspace(math.log10(low_flops), math.log10(end), 50):
        point = compute_optimal(flops=float(budget), fit=law)
        segment = "within the runs" if budget <= high_flops * 1.0001 else "extrapolated"
        rows.append({"flops": point.flops, "loss": point.loss, "segment": segment})
    # Repeat the boundary point so the two segments join.
    joint = compute_optimal(flops=high_flops, fit=law)
    rows.append({"flops": joint.flops, "loss": joint.loss, "segment": "extrapolated"})
    return rows


def fit_chart(
    law: ChinchillaFit, runs: list[dict[str, Any]], prediction: dict[str, Any] | None
) -> alt.LayerChart:
    """Runs (loss against 6ND, coloured by N) and the fitted compute-optimal frontier."""
    points = [{**r, "flops": 6 * r["params"] * r["tokens"]} for r in runs]
    low = min(p["flops"] for p in points) / 2
    high = max(p["flops"] for p in points)
    x = alt.X(
        "flops:Q",
        title="training compute C = 6ND (FLOPs)",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format=".0e"),
    )
    y = alt.Y("loss:Q", title="loss (nats/token)", scale=alt.Scale(zero=False))
    layers = [
        alt.Chart(alt.Data(values=frontier_rows(law, low_flops=low, high_flops=high)))
        .mark_line(color="#222", strokeWidth=2)
        .encode(
            x,
            y,
            strokeDash=alt.StrokeDash(
                "segment:N",
                title="frontier",
                scale=alt.Scale(domain=["within the runs", "extrapolated"], range=[[1, 0], [6, 4]]),
            ),
        ),
        alt.Chart(alt.Data(values=points))
        .mark_point(filled=True, size=60)
        .encode(
            x,
            y,
            color=alt.Color(
                "params:Q",
                title="parameters",
                scale=alt.Scale(type="log"),
                legend=alt.Legend(format="~s"),
            ),
            tooltip=[
                alt.Tooltip("params:Q", format="~s"),
                alt.Tooltip("tokens:Q", format="~s"),
                alt.Tooltip("loss:Q", format=".4f"),
            ],
        ),
    ]
    if prediction:
        row = {**prediction, "flops": 6 * prediction["params"] * prediction["tokens"]}
        layers.append(
            alt.Chart(alt.Data(values=[row]))
            .mark_point(shape="cross", size=160, color="#d62728", filled=True)
            .encode(x, y, tooltip=[alt.Tooltip("loss:Q", title="predicted loss", format=".4f")])
        )
    return alt.layer(*layers).properties(width=WIDTH, height=380)
