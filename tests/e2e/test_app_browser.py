"""A person's first visit, in real Chromium: home -> Connections -> Schema -> Ask on the demo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MONTHLY = ("SELECT date_trunc('month', origination_date) AS month, count(*) AS loans "
           "FROM loans GROUP BY 1 ORDER BY 1")


def wait_idle(page, timeout: float = 30_000) -> None:
    """Streamlit shows a 'Running' status widget while the script runs; wait until it's gone."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout)
    page.wait_for_timeout(300)


def go(page, label: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    page.locator("h1", has_text=label).wait_for()
    wait_idle(page)


def choose_connection(page, name) -> None:
    """Pick a connection on Ask or Schema as a person does: its pill when there are a few, else
    from the dropdown (name: a regex on "Name · Type")."""
    page.get_by_text("Connection", exact=True).first.wait_for()
    pills = page.get_by_role("radiogroup", name="Connection")
    if pills.count():
        pills.get_by_role("radio", name=name).first.click()
    else:
        page.get_by_label("Connection").click()
        page.get_by_role("option", name=name).click()


def shot(page, artifacts_dir, name: str) -> None:
    """Whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 120, 900), 6000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / f"e2e-{name}.png"))
    page.set_viewport_size(size)


def test_first_visit_home_connections_schema_ask(page, streamlit_server, artifacts_dir):
    page.set_default_timeout(60_000)  # the first start builds the demo database
    expect.set_options(timeout=30_000)  # every check below waits (a loaded box renders late)
    page.goto(streamlit_server["url"])
    page.get_by_text("created a demo database").wait_for()
    wait_idle(page, 60_000)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Connected")
    expect(page.get_by_text("No LLM configured")).to_be_visible()
    expect(page.locator("a", has_text="Ask a question")).to_be_visible()
    shot(page, artifacts_dir, "1-home")

    go(page, "Connections")
    card = main.locator('[class*="st-key-card_"]', has_text="Demo").first
    expect(card).to_contain_text("DuckDB")
    expect(card).to_contain_text("8 tables")
    page.get_by_role("button", name=re.compile("Test")).first.click()
    expect(page.get_by_text("Connection works")).to_be_visible()
    expect(main).to_contain_text(re.compile(r"DuckDB v?1"))
    shot(page, artifacts_dir, "2-connections")

    go(page, "Schema")
    expect(main).to_contain_text("8 tables and views")
    page.get_by_placeholder("Tables that have a column like").fill("outstanding_principal")
    page.keyboard.press("Enter")
    page.get_by_text("1 match").wait_for()
    page.locator("h3", has_text="main.loans").wait_for()
    wait_idle(page)
    expect(page.locator('[data-testid="stGraphVizChart"]')).to_have_count(0)  # on request only
    page.locator('[data-testid="stExpander"] summary', has_text="Relationships").click()
    graph = page.locator('[data-testid="stGraphVizChart"]').first
    expect(graph.locator("svg").first).to_be_visible()
    expect(graph).to_contain_text("branches")
    page.get_by_role("button", name=re.compile("Preview 50 rows")).click()
    page.get_by_text(re.compile(r"50 rows · \d+ ms")).wait_for()
    wait_idle(page)
    shot(page, artifacts_dir, "3-schema")

    go(page, "Ask")
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(MONTHLY)
    box.press("Enter")
    page.get_by_text(re.compile(r"\d+ rows · 2 columns")).wait_for()
    wait_idle(page)
    expect(page.get_by_text("SQL · Demo").first).to_be_visible()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart.locator("canvas, svg").first).to_be_visible()
    page.wait_for_function("el => el.getBoundingClientRect().height > 150",
                           arg=chart.element_handle())  # drawn at full size, not a stub
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Download CSV"))).to_be_visible()
    facts = page.get_by_text(re.compile(r"\d+ rows · 2 columns")).first.inner_text()
    rows = int(re.search(r"([\d,]+) rows", facts).group(1).replace(",", ""))
    assert 70 <= rows <= 90  # 2019-2025 monthly: one row per month
    shot(page, artifacts_dir, "4-ask-result")

    box.fill("DELETE FROM loans")
    box.press("Enter")
    page.get_by_text("Statement refused").wait_for()
    wait_idle(page)
    expect(page.get_by_text("What to do:").last).to_be_visible()
    history = page.locator('[data-testid="stSidebar"]')
    expect(history).to_contain_text("DELETE FROM loans")
    expect(history).to_contain_text("date_trunc")
    shot(page, artifacts_dir, "5-ask-refused")
