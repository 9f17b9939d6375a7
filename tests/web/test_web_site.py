"""Every page in headless Chromium at a desktop and a phone width (issue 12's checks).

At 1400x900 and 390x844 each page loads without console errors, never scrolls sideways (wide
tables scroll inside their own box), and axe-core (``axe-playwright-python``, which bundles it,
so this runs offline) finds no serious or critical accessibility violation. Screenshots of every
page at both widths go to test-artifacts/ (gitignored; CI keeps them as artefacts). Then the
flow people follow: filter, sort, tick three models, compare them, open a model's source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
PAGES = {
    "index": "/",
    "index-filtered": "/?open_weights=true&sort=-total_params",
    "model": "/models/demo-8x1b",
    "model-api": "/models/demo-api",
    "families": "/families",
    "family": "/families/demo",
    "compare": "/compare?models=demo-7b,demo-8x1b,demo-open",
    "compare-empty": "/compare",
    "scaling": "/scaling",
    "moe": "/moe",
    "context": "/context",
    "evaluations": "/evaluations",
    "calculator": "/calculator",
    "calculator-place": "/calculator/place?params=8e9&tokens=1.5e13",
    "fit": "/fit",
    "not-found": "/no/such/page",
    "docs": "/docs",
}
SERIOUS = {"serious", "critical"}


def _settle(tab: Any) -> None:
    """Wait for what scripts draw: the charts, and Swagger UI's operations on /docs."""
    if tab.locator("figure.chart").count():
        tab.wait_for_selector("html[data-charts=ready]")
    if tab.url.endswith("/docs"):
        tab.wait_for_selector(".opblock")


def _sideways_overflow(tab: Any) -> int:
    """How many pixels the page itself scrolls sideways (0 when nothing sticks out)."""
    return int(tab.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _serious_violations(tab: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_reads_well_at_both_widths(
    tab_at: Callable[[int, int], Any], base_url: str, name: str, viewport: str
) -> None:
    tab = tab_at(*VIEWPORTS[viewport])
    response = tab.goto(base_url + PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    _settle(tab)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}-{tab.viewport_size['width']}.png"), full_page=True)
    assert _sideways_overflow(tab) <= 0, f"{name} scrolls sideways at {viewport}"
    assert _serious_violations(tab) == []
    expected = ["404"] if name == "not-found" else []  # the browser logs the page's own status
    assert [p for p in tab.problems if not any(e in p for e in expected)] == []


def test_docs_render_every_operation(tab_at: Callable[[int, int], Any], base_url: str) -> None:
    schema = httpx.get(base_url + "/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    tab = tab_at(1400, 900)
    tab.goto(base_url + "/docs")
    tab.wait_for_selector(".opblock")
    assert "Unable to render" not in tab.content()
    shown = {
        (block.locator(".opblock-summary-method").inner_text().strip(),
         block.locator(".opblock-summary-path").get_attribute("data-path"))
        for block in tab.locator(".opblock").all()
    }  # fmt: skip
    assert shown == operations
    assert len(operations) >= 10
    assert tab.problems == []


def test_filter_sort_compare_three_and_open_a_source(
    tab_at: Callable[[int, int], Any], base_url: str
) -> None:
    tab = tab_at(1400, 900)
    tab.goto(base_url + "/")
    # Filter: downloadable weights (open-weights or both) leaves out the API-only model.
    with tab.expect_navigation():
        tab.check("input[name=open_weights]")
    assert tab.locator("#model-count").inner_text() == "4"
    # Sort by parameters, largest first: click the heading, then again to reverse.
    with tab.expect_navigation():
        tab.click("thead th.col-total_params a")
    with tab.expect_navigation():
        tab.click("thead th.col-total_params a")
    assert tab.locator("thead th.col-total_params").get_attribute("aria-sort") == "descending"
    names = tab.locator("tbody th.col-name a").all_inner_texts()
    assert names[:2] == ["Demo 8x1B", "Demo 7B"] and "Demo API" not in names
    # Tick three models and compare them.
    for name in names[:3]:
        tab.get_by_label(f"compare {name}", exact=True).check()
    assert tab.locator(".compare-pick .hint").inner_text() == "3 ticked"
    with tab.expect_navigation():
        tab.click("text=Compare selected")
    query = parse_qs(urlparse(tab.url).query)
    assert sorted(query["models"]) == sorted(["demo-8x1b", "demo-7b", "demo-7b-chat"])
    headings = tab.locator("table.compare thead th").all_inner_texts()
    assert {"Demo 8x1B", "Demo 7B", "Demo 7B Chat"} <= {h.strip() for h in headings}
    # Open a model from the comparison, then one of its sources (answered here: no network).
    with tab.expect_navigation():
        tab.locator("table.compare thead th a", has_text="Demo 8x1B").first.click()
    sources = httpx.get(base_url + "/api/v1/models/demo-8x1b").json()["model"]["sources"]
    urls = {s["url"] for s in sources if s["url"]}
    tab.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"),
              lambda route: route.fulfill(status=200, body="the source", content_type="text/plain"))  # fmt: skip
    link = tab.locator("main a[href^='http']").first
    href = link.get_attribute("href")
    assert href in urls
    with tab.expect_navigation():
        link.click()
    assert tab.url == href
    assert [p for p in tab.problems if "favicon" not in p] == []
