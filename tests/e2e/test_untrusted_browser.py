"""Untrusted text is text, in real Chromium: every planted image/link payload (connection name, table
name, comments, FK column in the graph, cell value, driver error, model answers) renders no <img>
and no link to the payload host, and the browser never even tries a request to it.

The payload host is 127.0.0.1 on a port nothing listens on; requests to it are also intercepted
and aborted by Playwright, so no traffic could leave this machine even if one were attempted.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.agent.fake_openai import FakeOpenAI, run_sql, say
from tests.e2e.conftest import _stop, start_app
from tests.e2e.test_app_browser import choose_connection, wait_idle
from tests.services import free_port
from tests.ui.test_untrusted import build

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def llm():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def planted_app(llm):
    """`streamlit run app.py` on a home whose store already holds the payload connection."""
    home = Path(tempfile.mkdtemp(prefix="olympus-e2e-untrusted-"))
    leak_port = free_port()  # closed: nothing listens there
    data = Path(tempfile.mkdtemp(prefix="olympus-e2e-untrusted-data-"))  # not in OLYMPUS_HOME
    planted = build(home, data, f"http://127.0.0.1:{leak_port}/leak", llm_url=llm.base_url)
    port, log = free_port(), home / "streamlit.log"
    env = {**os.environ, "OLYMPUS_HOME": str(home), "PYTHONUNBUFFERED": "1",
           "OPENAI_API_KEY": "sk-untrusted", "OPENAI_BASE_URL": llm.base_url}
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER", "OLYMPUS_MODEL"):
        env.pop(name, None)
    proc = start_app(port, env, log)
    yield {"url": f"http://127.0.0.1:{port}", "planted": planted, "leak_port": leak_port}
    _stop(proc)


class Watch:
    """Every request the page makes to the payload host (aborted before it could go out)."""

    def __init__(self, page, leak_port: int) -> None:
        self.page, self.prefix, self.tried = page, f"http://127.0.0.1:{leak_port}", []
        page.context.route(f"{self.prefix}/**", self._abort)
        page.context.on("request", lambda r: self._note(r.url))

    def _note(self, url: str) -> None:
        if url.startswith(self.prefix) and url not in self.tried:
            self.tried.append(url)

    def _abort(self, route) -> None:
        self._note(route.request.url)
        route.abort()

    def check(self) -> None:
        """No element pointing at the payload host, and no request tried so far."""
        wait_idle(self.page)
        for selector in (f'img[src^="{self.prefix}"]', f'a[href^="{self.prefix}"]',
                         f'image[href^="{self.prefix}"]', f'[srcset*="{self.prefix}"]'):
            expect(self.page.locator(selector)).to_have_count(0)
        expect(self.page.locator('[data-testid="stMain"] img, [data-testid="stSidebar"] img')
               ).to_have_count(0)  # the app shows no pictures at all: any <img> is planted
        assert self.tried == []


def go(page, label: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    page.locator("h1", has_text=label).wait_for()
    wait_idle(page)


def visible(page, text: str):
    """Wait until the text is on the page (word joiners inside URLs are invisible, so the
    comparison drops them)."""
    page.wait_for_function(
        "t => document.body.innerText.replaceAll('\\u2060', '').replace(/\\s+/g, ' ').includes(t)",
        arg=" ".join(text.split()), timeout=30_000)


def test_payloads_render_as_text_and_nothing_is_fetched(page, planted_app, llm, artifacts_dir):
    planted, watch = planted_app["planted"], Watch(page, planted_app["leak_port"])
    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    page.goto(planted_app["url"])
    visible(page, planted.connection)  # the home page's connection list
    watch.check()

    go(page, "Connections")
    visible(page, planted.connection)
    visible(page, "untrusted.duckdb")
    card = page.locator('[class*="st-key-card_"]', has_text="Sales").first
    card.get_by_role("button", name=re.compile("Test")).click()
    expect(card).to_contain_text("Connection works")
    watch.check()

    go(page, "Schema")
    choose_connection(page, re.compile(r"Sales !\[c\]"))
    wait_idle(page)
    page.get_by_placeholder("Filter tables by name").fill("orders")
    page.keyboard.press("Enter")
    page.locator("h3", has_text="orders![t](").wait_for()
    visible(page, planted.comment)
    listed = page.get_by_role("table", name="Tables")  # the plain table draws names as text
    expect(listed.get_by_role("button", name=planted.table, exact=True)).to_have_count(1)
    expect(listed.locator("img, a, script")).to_have_count(0)
    page.locator('[data-testid="stExpander"] summary', has_text="Relationships").click()
    graph = page.locator('[data-testid="stGraphVizChart"]').first
    expect(graph.locator("svg").first).to_be_visible()
    expect(graph.locator("svg text", has_text=planted.fk_column)).to_have_count(1)  # exact name
    expect(graph.locator("svg a")).to_have_count(0)  # no URL attribute made it into the graph
    page.get_by_role("button", name=re.compile("Preview 50 rows")).click()
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / "e2e-untrusted-schema.png"), full_page=True)
    watch.check()

    go(page, "Ask")
    llm.script(run_sql("SELECT id, name FROM customers ORDER BY id", explanation=planted.answer))
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Who are the customers?")
    box.press("Enter")
    page.get_by_text("Totals", exact=True).first.wait_for()
    expect(page.locator("a", has_text="the Ask page")).to_have_count(1)  # a link to the app
    expect(page.locator("a", has_text="the Ask page")).to_have_attribute(
        "href", re.compile(r"^(/Ask|" + re.escape(planted_app["url"]) + "/Ask)$"))
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()  # the cell value
    watch.check()

    llm.script(*[say(planted.reply)] * 4)
    box.fill("Show me a picture")
    box.press("Enter")
    visible(page, f"[1]: {planted.host}/reply-ref.png")
    watch.check()

    page.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^SQL$")).click()
    wait_idle(page)
    box.fill(f'SELECT * FROM "{planted.missing}"')
    box.press("Enter")
    visible(page, planted.missing)  # the driver's error quotes it, as text
    page.screenshot(path=str(artifacts_dir / "e2e-untrusted-ask.png"), full_page=True)
    watch.check()
