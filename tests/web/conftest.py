"""Browser fixtures for the tests in this folder: the app under uvicorn on a seeded SQLite file,
behind a strict Content-Security-Policy, and Debian's Chromium driven by Playwright.

Without Chromium or playwright the browser tests skip, except with REGISTRY_REQUIRE_BROWSER=1
(CI), where they fail. REGISTRY_CHROMIUM overrides the browser path (docs/PAGES.md, Tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    StrictCsp,
    free_port,
    unavailable,
)

from registry.config import Settings
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine
from registry.web.vendor import BUNDLE_URL

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MINI_SEEDS = Path(__file__).resolve().parents[1] / "data" / "mini_seeds"
TIMEOUT_MS = 20_000  # the first chart page generates the vega-embed bundle (a few seconds)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a seeded SQLite database, served by uvicorn in a thread."""
    data_dir = tmp_path_factory.mktemp("e2e")
    engine = create_db_engine(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    app = create_app(Settings(data_dir=data_dir), engine=engine)
    port = free_port()
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
    base = f"http://127.0.0.1:{port}"
    # The vega-embed bundle is generated on first use (seconds): before any page waits on it.
    httpx.get(base + BUNDLE_URL, timeout=300).raise_for_status()
    yield base
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")  # closed per module: its event loop would stop asyncio.run
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not CHROMIUM.is_file():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
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


@pytest.fixture
def tab_at(browser: Any) -> Iterator[Callable[[int, int], Any]]:
    """Open a tab at a viewport size; it records console and page errors in ``tab.problems``."""
    contexts: list[Any] = []

    def open_tab(width: int, height: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        problems: list[str] = []
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.problems = problems
        return tab

    yield open_tab
    for context in contexts:
        context.close()
