"""Choosing which points of a log-log chart carry a name, so that no two names overlap.

Vega-Lite has no label layout, so the choice is made here, in pixels: each candidate name is a
box beside its point (right of it, or left when it would run off the chart); a name is kept only
if its box overlaps no kept box. Candidates come in order of importance (the highlighted model
first), so the few that matter are named and the rest keep their tooltips.
"""

from __future__ import annotations

import math
from typing import Any

CHAR_PX, LINE_PX, GAP_PX = 6.2, 13.0, 7.0  # 11 px system sans-serif, roughly


def position(value: float, low: float, high: float, size: float) -> float:
    """Pixels from the axis start of ``value`` on a log axis from ``low`` to ``high``."""
    return (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low)) * size


def pick_labels(
    rows: list[dict[str, Any]],
    *,
    params: tuple[float, float],
    tokens: tuple[float, float],
    width: float,
    height: float,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """``rows`` (in order of importance) given 'label' and 'align' where a name fits, else ''.

    Each row needs 'name', 'params' and 'tokens'. ``limit`` caps how many are named.
    """
    kept: list[tuple[float, float, float, float]] = []
    labelled = []
    for row in rows:
        x = position(row["params"], *params, width)
        y = height - position(row["tokens"], *tokens, height)
        wide = CHAR_PX * len(row["name"])
        room = limit is None or len(kept) < limit
        chosen = None
        # Right of the point first, else left of it: the first side inside the frame and clear.
        for align in ("left", "right"):
            left = x + GAP_PX if align == "left" else x - GAP_PX - wide
            box = (left, y - LINE_PX - 2, left + wide, y - 2)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            clear = all(
                box[2] < k[0] or k[2] < box[0] or box[3] < k[1] or k[3] < box[1] for k in kept
            )
            if room and inside and clear:
                chosen = (align, box)
                break
        if chosen:
            kept.append(chosen[1])
            labelled.append({**row, "label": row["name"], "align": chosen[0]})
        else:
            labelled.append({**row, "label": "", "align": "left"})
    return labelled
