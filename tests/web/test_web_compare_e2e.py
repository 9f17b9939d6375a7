"""The comparison, model and scaling pages in headless Chromium, on the project's own seeds.

Launched as tests/web/test_web_e2e.py launches it (Debian's Chromium under Playwright's Python
package, behind a strict Content-Security-Policy; skipped without them unless
REGISTRY_REQUIRE_BROWSER=1). The full seed tree is loaded so the flows read like a visit: build a
comparison of three by typing names, go past eight models, name an unknown model, find a model on
/scaling. Screenshots of /compare (three models), a model page and /scaling at 1400x900 and 390x844
are saved under test-artifacts/.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser_support import (
    StrictCsp,
    free_port,
)

from registry.config import Settings
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
TIMEOUT_MS = 60_000  # first renders of each chart (and the vega-embed bundle) on a busy machine
WIDE, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}
NINE = [
    "llama-3-8b", "llama-3-70b", "mixtral-8x7b", "mixtral-8x22b", "deepseek-v3", "gpt-3-175b",
    "chinchilla-70b", "gopher-280b", "qwen2.5-72b",
]  # fmt: skip


# `browser` is the folder's fixture (tests/web/conftest.py).


@pytest.fixture(scope="module")
def base_url(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a SQLite file holding the project's seeds, served by uvicorn in a thread."""
    data_dir = tmp_path_factory.mktemp("compare-e2e")
    engine = create_db_engine(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(REPOSITORY / "seeds")))
    app = create_app(Settings(data_dir=data_dir), engine=engine)
    config = uvicorn.Config(StrictCsp(app), host="127.0.0.1", port=free_port(),
                            log_level="warning", lifespan="off", ws="none")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _tab(browser: Any, viewport: dict[str, int], **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport, **options)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.problems = problems
    return context, tab


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context, tab = _tab(browser, WIDE)
    yield tab
    context.close()


def _own_errors(tab: Any) -> list[str]:
    return [p for p in tab.problems if "favicon" not in p and "404" not in p]


def _charts_drawn(tab: Any) -> int:
    tab.wait_for_selector("html[data-charts=ready]")
    figures = tab.locator("figure.chart")
    assert figures.count() == tab.locator("figure.chart[data-enhanced=true]").count()
    return int(figures.count())


def _shoot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(tab: Any) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.viewport_size["width"], f"page is {width}px wide"


def _smallest_chart_text(tab: Any) -> float:
    """The smallest rendered font size (px) of any chart text, after CSS scaling."""
    return float(
        tab.evaluate(
            """() => Math.min(...Array.from(document.querySelectorAll('figure.chart svg text'))
                .filter(t => t.getClientRects().length && t.textContent.trim())
                .map(t => t.getBoundingClientRect().height))"""
        )
    )


def _add(tab: Any, typed: str) -> None:
    tab.fill("#add-model input[name=add]", typed)
    with tab.expect_navigation():
        tab.click("#add-model button[type=submit]")


def test_compare_three_by_typing_names(page: Any, base_url: str) -> None:
    page.goto(base_url + "/compare")
    # The picker offers names, grouped by family, not one alphabetical list under "M".
    options = page.locator("#model-names option")
    assert options.count() > 100
    assert (
        page.locator("#model-names option[value='Meta Llama 3 70B']").get_attribute("label")
        == "Llama"
    )
    _add(page, "llama 3 70b")  # matches across spaces and case: Meta Llama 3 70B
    _add(page, "mixtral 8x22")
    _add(page, "DeepSeek-V3")
    assert "models=llama-3-70b%2Cmixtral-8x22b%2Cdeepseek-v3" in page.url
    heads = page.locator("table.compare thead th").all_inner_texts()
    assert heads[1:] == ["Meta Llama 3 70B", "Mixtral 8x22B (v0.1)", "DeepSeek-V3"]
    chips = page.locator(".picker ul.chosen li").all_inner_texts()
    assert [c.split(" ✕")[0].strip() for c in chips] == heads[1:]
    groups = page.locator("table.compare th.group").all_inner_texts()
    titles = [g.split("\n")[0].split(" differ")[0] for g in groups]
    for title in ("Identity", "Access and licence", "Size", "Training", "Context",
                  "Architecture", "Placement", "Evaluations"):  # fmt: skip
        assert any(t.startswith(title) for t in titles), titles
    # Evaluations aligned by benchmark and shots: MMLU 5-shot is one row, its own cells.
    mmlu = page.locator("table.compare tr", has=page.locator("th", has_text="MMLU (accuracy) · 5-shot"))
    assert mmlu.count() == 1
    # Sources per cell, named by where they are: never a bare "source".
    cites = page.locator("table.compare td .cite a").all_inner_texts()
    assert cites and "source" not in cites
    # Mixtral 8x22B's training tokens are undisclosed: the placement chart says it leaves it out.
    _charts_drawn(page)
    placement = page.locator("figure.chart").first
    assert "Mixtral 8x22B (v0.1) (training tokens undisclosed)" in placement.inner_text()
    # Only differences, in place (JavaScript), and the address keeps it.
    same_rows = page.locator("table.compare tr.same")
    visible_before = page.locator("table.compare tbody tr:visible").count()
    assert same_rows.first.is_visible()
    page.click("#only-differences")
    assert not same_rows.first.is_visible()
    assert page.locator("table.compare tbody tr:visible").count() < visible_before
    assert "only=differences" in page.url
    page.click("#only-differences")
    _shoot(page, "compare-1400")
    context, phone = _tab(page.context.browser, PHONE)
    phone.goto(page.url)
    _charts_drawn(phone)
    _no_sideways_scroll(phone)
    assert _smallest_chart_text(phone) >= 8
    _shoot(phone, "compare-390")
    context.close()
    assert _own_errors(page) == []


def test_only_differences_without_javascript(browser: Any, base_url: str) -> None:
    context, tab = _tab(browser, WIDE, java_script_enabled=False)
    tab.goto(base_url + "/compare?models=llama-3-8b,llama-3-70b")
    total = tab.locator("table.compare tbody tr:visible").count()
    with tab.expect_navigation():
        tab.click("#only-differences")
    assert "only=differences" in tab.url
    assert 0 < tab.locator("table.compare tbody tr:visible").count() < total
    # The plain form adds a model by name without JavaScript.
    tab.fill("#add-model input[name=add]", "gpt-3 175")
    with tab.expect_navigation():
        tab.click("#add-model button[type=submit]")
    assert "gpt-3-175b" in tab.url and "only=differences" in tab.url
    context.close()


def test_a_ninth_model_keeps_the_first_eight_and_says_so(page: Any, base_url: str) -> None:
    page.goto(base_url + "/compare?models=" + ",".join(NINE[:8]))
    assert page.locator("#compare-full").is_visible()  # no picker offered beyond eight
    response = page.goto(base_url + "/compare?models=" + ",".join(NINE))
    assert response.status == 200
    warning = page.locator("#compare-warnings").inner_text()
    assert "at most 8" in warning and "Qwen2.5-72B" in warning
    assert page.locator("table.compare thead th").count() == 1 + 8
    assert _own_errors(page) == []


def test_an_unknown_slug_is_named_and_the_rest_compared(page: Any, base_url: str) -> None:
    response = page.goto(base_url + "/compare?models=llama-3-8b,no-such-model,mixtral-8x7b")
    assert response.status == 200
    assert "no-such-model" in page.locator("#compare-warnings").inner_text()
    heads = page.locator("table.compare thead th").all_inner_texts()
    assert heads[1:] == ["Meta Llama 3 8B", "Mixtral 8x7B (v0.1)"]


def test_scaling_finds_and_highlights_a_model(page: Any, base_url: str) -> None:
    page.goto(base_url + "/scaling")
    _charts_drawn(page)
    page.fill("#find-model input[name=highlight]", "llama 3 8b")
    with page.expect_navigation():
        page.click("#find-model button[type=submit]")
    assert re.search(r"highlight=llama", page.url)
    assert page.locator("#highlight-status").inner_text().startswith("Meta Llama 3 8B")
    _charts_drawn(page)
    bold = page.evaluate(
        """() => Array.from(document.querySelectorAll('figure.chart .role-mark text'))
            .filter(t => t.getAttribute('font-weight') === 'bold').map(t => t.textContent)"""
    )
    assert bold == ["Meta Llama 3 8B"]
    assert page.locator("table.models tr.highlight").count() == 1
    # Years, short SI ticks: no "16.777216M"-like label anywhere.
    labels = page.evaluate(
        """() => Array.from(document.querySelectorAll('figure.chart .role-axis-label text'))
            .map(t => t.textContent)"""
    )
    assert labels and all(len(t) <= 5 for t in labels), labels
    _shoot(page, "scaling-1400")
    context, phone = _tab(page.context.browser, PHONE)
    phone.goto(page.url)
    _charts_drawn(phone)
    _no_sideways_scroll(phone)
    assert _smallest_chart_text(phone) >= 8
    _shoot(phone, "scaling-390")
    context.close()
    # Each point opens its model: clicking the ringed one leads to Meta Llama 3 8B's page.
    ring = page.locator("figure.chart path[stroke-width='3']").first.bounding_box()
    with page.expect_navigation():
        page.mouse.click(ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2)
    assert page.url.endswith("/models/llama-3-8b")
    assert _own_errors(page) == []


def test_points_are_links_without_javascript(browser: Any, base_url: str) -> None:
    context, tab = _tab(browser, WIDE, java_script_enabled=False)
    tab.goto(base_url + "/scaling")
    links = tab.evaluate(
        """() => Array.from(document.querySelectorAll('figure.chart .chart-view svg a'))
            .map(a => a.getAttribute('xlink:href') || a.getAttribute('href'))"""
    )
    assert len(links) > 50 and all(link.startswith("/models/") for link in links)
    context.close()


def test_model_page_leads_with_facts(page: Any, base_url: str) -> None:
    page.goto(base_url + "/models/llama-3-8b")
    facts = page.locator("#facts").inner_text()
    assert "15T" in facts and "8,192 (8k)" in facts and "GB" in facts
    sentence = page.locator("#placement-sentence").inner_text()
    assert "tokens per parameter" in sentence and "Chinchilla's 20:1 rule" in sentence
    assert "Epoch's 2024 refit of Chinchilla" in sentence
    links = page.locator("main a[rel~=nofollow]").all_inner_texts()
    assert links and "source" not in links
    assert page.locator("section.probe").count() == 0  # no measurement recorded
    _charts_drawn(page)
    _shoot(page, "model-1400")
    context, phone = _tab(page.context.browser, PHONE)
    phone.goto(page.url)
    _charts_drawn(phone)
    _no_sideways_scroll(phone)
    assert _smallest_chart_text(phone) >= 8
    _shoot(phone, "model-390")
    context.close()
    assert _own_errors(page) == []
