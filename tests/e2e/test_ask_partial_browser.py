"""The Ask page renders only what changed (issue 11), in real Chromium on the demo.

Once the page is drawn, a new query reruns only its own slot fragment and the composer (the
editor, the chat box), and acting on one earlier result reruns only that result's fragment: the
other results are neither sent again by the server (nothing of them in the websocket frames) nor
touched in the page (no DOM mutation inside them)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_app_browser import go, wait_idle
from tests.e2e.test_editor_browser import facts, open_ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SQL = "SELECT loan_id, status, principal FROM loans ORDER BY loan_id LIMIT {n}"
WATCH = """el => { el.__touched = 0;
  new MutationObserver(r => { el.__touched += r.length; }).observe(el,
    {subtree: true, childList: true, attributes: true, characterData: true}); }"""


def record_frames(page) -> list[bytes]:
    """Every websocket frame the page receives from now on."""
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, bytes) else payload.encode())))
    return frames


def ask(page, n: int) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(SQL.format(n=n))
    box.press("Enter")
    newest = page.locator('[class*="st-key-ask-result-"]').last
    expect(facts(newest, f"{n} rows · 3 columns")).to_be_visible()
    wait_idle(page)


def entry(page, n: int):
    """The conversation entry (echo and result) of the query with LIMIT n."""
    return page.locator('[class*="st-key-ask-entry-"]', has_text=f"LIMIT {n}").first


def test_a_new_query_and_a_chart_change_redraw_only_their_own_result(page, streamlit_server):
    frames = record_frames(page)
    open_ask(page, streamlit_server)
    ask(page, 31)
    ask(page, 32)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Home").first.click()
    page.get_by_text("Next steps").wait_for()
    wait_idle(page)
    go(page, "Ask")  # a full run: both results are in the conversation now
    expect(facts(entry(page, 32), "32 rows · 3 columns")).to_be_visible()
    wait_idle(page)

    # A new query: the two results above are not sent again, and not touched in the page.
    for n in (31, 32):
        entry(page, n).evaluate(WATCH)
    mark = len(frames)
    ask(page, 33)
    sent = b"".join(frames[mark:])
    assert b"LIMIT 33" in sent  # the new result did come over the websocket
    assert b"LIMIT 31" not in sent and b"LIMIT 32" not in sent
    assert [entry(page, n).evaluate("el => el.__touched") for n in (31, 32)] == [0, 0]

    # Another one straight after: the result just added (no full run since) stays put too.
    entry(page, 33).evaluate(WATCH)
    mark = len(frames)
    ask(page, 34)
    sent = b"".join(frames[mark:])
    assert b"LIMIT 34" in sent and b"LIMIT 33" not in sent
    assert entry(page, 33).evaluate("el => el.__touched") == 0

    # Acting on one result (its chart type) reruns that result alone.
    for n in (32, 33, 34):
        entry(page, n).evaluate(WATCH)
    mark = len(frames)
    first = entry(page, 31)
    first.get_by_text("Line", exact=True).first.click()
    expect(first.locator('[data-testid="stVegaLiteChart"]')).to_be_visible()
    wait_idle(page)
    sent = b"".join(frames[mark:])
    assert b"LIMIT 31" in sent  # that result was redrawn...
    assert not any(f"LIMIT {n}".encode() in sent for n in (32, 33, 34))  # ...nothing else
    assert [entry(page, n).evaluate("el => el.__touched") for n in (32, 33, 34)] == [0, 0, 0]


def test_more_queries_than_slots_all_show_in_the_page_and_the_history(page, streamlit_server):
    """Past the page's free result slots (SLOTS) a query takes a full run: every result and its
    history line is still there, newest last, each once."""
    from olympus.ui.ask_composer import SLOTS

    open_ask(page, streamlit_server)
    numbers = list(range(41, 41 + SLOTS + 2))
    for n in numbers:
        ask(page, n)
    for n in numbers:
        expect(facts(entry(page, n), f"{n} rows · 3 columns")).to_be_visible()
        expect(page.locator('[class*="st-key-ask-entry-"]', has_text=f"LIMIT {n}")
               ).to_have_count(1)
    lines = page.get_by_test_id("stSidebar").locator('[class*="st-key-hist"]')
    expect(lines).to_have_count(len(numbers))  # one history line per query, none twice
