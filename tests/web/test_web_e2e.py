"""End to end in headless Chromium: filter the table, open a model, build a comparison, see charts.

The app runs under uvicorn on a free loopback port, on a seeded SQLite database, behind a strict
Content-Security-Policy (no inline script, no eval, no inline style), so the test also shows the
pages work under one. Chromium is Debian's (``apt-get install chromium``), driven by Playwright's
Python package; without them these tests skip, unless REGISTRY_REQUIRE_BROWSER=1 (CI), where
they fail. The comparison's screenshot is saved to test-artifacts/compare.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _charts_drawn(tab: Any) -> int:
    """Wait until charts.js has redrawn every chart; the number of charts."""
    tab.wait_for_selector("html[data-charts=ready]")
    figures = tab.locator("figure.chart")
    assert figures.count() == tab.locator("figure.chart[data-enhanced=true]").count()
    assert tab.locator("figure.chart .vega-embed svg.marks").count() == figures.count()
    return int(figures.count())


def _own_errors(tab: Any) -> list[str]:
    return [p for p in tab.problems if "favicon" not in p and "404" not in p]


def test_filter_the_table_and_open_a_model(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    assert page.locator("#model-count").inner_text() == "5"
    with page.expect_navigation():  # explorer.js applies a ticked facet at once
        page.check("input[name=architecture][value=moe]")
    assert "architecture=moe" in page.url
    assert page.locator("#model-count").inner_text() == "1"
    assert page.locator("a.json-twin").get_attribute("href") == "/api/v1/models?architecture=moe"
    page.click("table.models >> text=Demo 8x1B")
    page.wait_for_url("**/models/demo-8x1b")
    assert "1.4T tokens" in page.locator("#placement-sentence").inner_text()
    assert _charts_drawn(page) == 1
    assert _own_errors(page) == []


def test_build_a_comparison_and_see_its_charts(page: Any, base_url: str) -> None:
    page.goto(base_url + "/compare?models=demo-7b")
    for typed, slug in (("Demo 8x1B", "demo-8x1b"), ("demo open", "demo-open")):
        page.fill("#add-model input[name=add]", typed)  # the type-ahead picker, by name
        page.click("#add-model button[type=submit]")
        page.wait_for_url(f"**/compare?models=*{slug}*")
    assert page.locator("table.compare thead th").count() == 4  # the field column and 3 models
    assert page.locator("table.compare tr.differs").count() > 5
    assert _charts_drawn(page) == 3
    # Hovering a model's point shows its name (vega-tooltip, styled by site.css).
    point = page.locator("figure.chart").first.locator(".role-mark path").last
    point.hover(force=True)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    with page.expect_navigation():
        page.click("a[aria-label='remove Demo Open 1B']")
    assert "demo-open" not in page.url and "demo-8x1b" in page.url
    assert page.locator("table.compare thead th").count() == 3
    assert _own_errors(page) == []


def test_charts_show_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(base_url + "/scaling")
    assert tab.locator("figure.chart .chart-view svg.marks").count() == 1
    assert tab.locator("figure.chart[data-enhanced]").count() == 0
    context.close()
