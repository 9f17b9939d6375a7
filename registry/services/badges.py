"""Badges: a model's number as a small SVG that model cards and READMEs embed (docs/HISTORY.md).

The layout is the common flat badge: a grey label, a coloured value; text widths come from
Verdana's average glyph widths at 11 px and are pinned with ``textLength``, so the text always fits
its box whatever font the viewer has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from sqlmodel import Session

from registry.numbers import humanize_count
from registry.services.views import placement_of
from registry.store import queries

BadgeField = Literal["tokens_per_param", "context_length", "total_params", "placement"]
CHINCHILLA_TOKENS_PER_PARAM = 20.0  # Hoffmann et al. 2022: about 20 tokens per parameter
COLORS = {"known": "#007ec6", "over": "#e05d44", "near": "#4c1", "unknown": "#9f9f9f"}
# Verdana 11 px advance widths, in pixels: narrow, wide and the rest.
NARROW, WIDE, NARROW_WIDTH, WIDE_WIDTH, OTHER_WIDTH = "il.,:;|!'() ", "mwMW%", 3.6, 10.0, 7.0


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str


def model_badge(session: Session, *, slug: str, field: BadgeField) -> Badge:
    """The badge of ``slug``'s ``field``; NotFound when no model has that slug."""
    (model,) = queries.models_by_slug(session, slugs=[slug])
    unknown = "undisclosed" if field in model.undisclosed else "unknown"
    if field == "tokens_per_param":
        ratio = model.tokens_per_param
        if ratio is None:
            return Badge("tokens/param", unknown, COLORS["unknown"])
        times = ratio / CHINCHILLA_TOKENS_PER_PARAM
        shown = f"{times:,.1f}" if times < 10 else f"{times:,.0f}"
        color = (
            COLORS["over"] if times >= 2 else COLORS["near"] if times >= 0.5 else COLORS["known"]
        )
        return Badge("tokens/param", f"{ratio:,.0f} | {shown}× Chinchilla", color)
    if field == "context_length":
        value = model.context_length
        message = f"{value:,} tokens" if value else unknown
        return Badge("context", message, COLORS["known"] if value else COLORS["unknown"])
    if field == "total_params":
        if not model.total_params:
            return Badge("parameters", unknown, COLORS["unknown"])
        message = humanize_count(model.total_params)
        if model.active_params and model.active_params != model.total_params:
            message += f" ({humanize_count(model.active_params)} active)"
        return Badge("parameters", message, COLORS["known"])
    placement = placement_of(model)
    if placement is None:
        return Badge("placement", "not placed", COLORS["unknown"])
    factor = placement["overtrain_factor"]
    color = COLORS["over"] if factor >= 2 else COLORS["near"] if factor >= 0.5 else COLORS["known"]
    return Badge("placement", f"×{factor:,.1f} compute-optimal ({placement['fit']})", color)


def not_found_badge(slug: str) -> Badge:
    return Badge("model registry", f"no model {slug}", COLORS["unknown"])


def text_width(text: str) -> float:
    """The width of ``text`` in Verdana 11 px, from average glyph widths."""
    return sum(
        NARROW_WIDTH if c in NARROW else WIDE_WIDTH if c in WIDE or c.isupper() else OTHER_WIDTH
        for c in text
    )


def render_svg(badge: Badge) -> str:
    """The badge as a standalone SVG document (label left, value right, 20 px high)."""
    label_w, message_w = (round(text_width(t)) + 10 for t in (badge.label, badge.message))
    width = label_w + message_w
    title = f"{badge.label}: {badge.message}"
    label, message = escape(badge.label), escape(badge.message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f"aria-label={quoteattr(title)}>"
        f"<title>{escape(title)}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="#555"/>'
        f'<rect x="{label_w}" width="{message_w}" height="20" fill={quoteattr(badge.color)}/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{label_w / 2}" y="14" textLength="{label_w - 10}">{label}</text>'
        f'<text x="{label_w + message_w / 2}" y="14" textLength="{message_w - 10}">{message}</text>'
        "</g></svg>"
    )
