"""End to end in headless Chromium: filter the table, open a model, build a comparison, see charts.

The app runs under uvicorn on a free loopback port, on a seeded SQLite database, behind a strict
Content-Security-Policy (no inline script, no eval, no inline style), so the test also shows the
pages work under one. Chromium is Debian's (``apt-get install chromium``), driven by Playwright's
Python package; without them these tests skip, unless REGISTRY_REQUIRE_BROWSER=1 (CI), where
they fail. The comparison's screenshot is saved to test-artifacts/compare.png.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from registry.config import Settings
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

CHROMIUM = Path(os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MINI_SEEDS = Path(__file__).resolve().parents[1] / "data" / "mini_seeds"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
TIMEOUT_MS = 20_000  # the first chart page generates the vega-embed bundle (a few seconds)


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REGISTRY_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class StrictCsp:
    """ASGI middleware adding a strict Content-Security-Policy to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_csp(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"],
                                      (b"content-security-policy", STRICT_CSP.encode())]  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_csp)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a seeded SQLite database, served by uvicorn in a thread."""
    data_dir = tmp_path_factory.mktemp("e2e")
    engine = create_db_engine(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    app = create_app(Settings(data_dir=data_dir), engine=engine)
    port = _free_port()
    config = uvicorn.Config(StrictCsp(app), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="none")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that records console errors and page errors (CSP violations among them)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.problems = problems
    yield tab
    context.close()


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
    page.select_option("select[name=architecture]", "moe")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*architecture=moe*")
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
