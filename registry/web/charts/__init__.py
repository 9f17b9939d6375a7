"""Charts: Vega-Lite specs built with Altair, rendered to SVG on the server by vl-convert.

The SVG shows without JavaScript; the page also carries the spec, which the locally served
vega-embed bundle re-draws with hover tooltips when JavaScript runs.
"""

from registry.web.charts.render import Chart, chart_cache, data_cache, render_chart

__all__ = ["Chart", "chart_cache", "data_cache", "render_chart"]
