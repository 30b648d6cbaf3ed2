"""A query that aborts DuckDB, driven through the Ask page of a real app in Chromium: the
crashing session gets the mapped error and runs again; another session keeps working.

`enable_logging(storage='file')` makes the NEXT query on the same DuckDB engine abort the
process. The guard refuses it unless an admin allows it on the connection, so the app's home
is prepared with the demo and `connections allow Demo enable_logging` before the server starts.
Which worker a query gets is deterministic here: queries run one at a time, and the worker
pool (`Workers._idle`) hands out the worker given back last, i.e. the one that just ran
enable_logging."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _stop, start_app
from tests.e2e.test_app_browser import shot, wait_idle
from tests.services import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT = "SELECT count(*) AS n FROM loans"
CRASHED = "The query crashed the database engine; it was restarted."


@pytest.fixture(scope="module")
def crash_app(tmp_path_factory):
    """`streamlit run app.py` on a home whose demo connection allows enable_logging."""
    home = tmp_path_factory.mktemp("olympus-crash-home")
    env = {**os.environ, "OLYMPUS_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for name in ("OPENAI_API_KEY", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY"):
        env.pop(name, None)
    for args in (["demo"], ["connections", "allow", "Demo", "enable_logging"]):
        subprocess.run([sys.executable, "-m", "olympus", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True, text=True, timeout=300)
    with duckdb.connect(str(home / "demo.duckdb"), read_only=True) as con:
        loans = con.execute(COUNT).fetchone()[0]  # closed before the app opens the file
    port, log = free_port(), home / "streamlit.log"
    proc = start_app(port, env, log)
    yield {"url": f"http://127.0.0.1:{port}", "loans": loans, "proc": proc,
           "logs": tmp_path_factory.mktemp("duckdb-logs")}
    _stop(proc)


def open_ask(browser, url: str):
    """One browser context = one Streamlit session, on the Ask page with the demo selected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Ask").first.click()
    page.locator("h1", has_text="Ask").wait_for()
    wait_idle(page, 60_000)
    return context, page


def run(page, sql: str, entries: int):
    """Send SQL; wait for this session's `entries`-th answer and return it."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(sql)
    box.press("Enter")
    messages = page.locator('[data-testid="stChatMessage"]')
    expect(messages).to_have_count(2 * entries)  # a question and an answer per entry
    wait_idle(page)
    return messages.nth(2 * entries - 1)


def expect_count(answer, loans: int) -> None:
    expect(answer).to_contain_text(re.compile(r"1 row · 1 column"))
    expect(answer.locator('[data-testid="stMetricValue"]')).to_have_text(
        re.compile(rf"^\s*{loans:,}\s*$|^\s*{loans}\s*$"))
    expect(answer.locator('[data-testid="stAlert"]')).to_have_count(0)


def test_a_crashing_query_costs_its_session_one_error_not_the_app(browser, crash_app,
                                                                  artifacts_dir):
    expect.set_options(timeout=60_000)
    loans, url = crash_app["loans"], crash_app["url"]
    (ctx_one, one), (ctx_two, two) = open_ask(browser, url), open_ask(browser, url)
    try:
        logging_sql = ("SELECT * FROM enable_logging(storage='file', "
                       f"storage_path='{crash_app['logs']}/logs')")
        first = run(one, logging_sql, 1)  # allowed on this connection: runs, arms the crash
        expect(first).to_contain_text("0 rows · 1 column")
        expect(first).to_contain_text("returned no rows")

        crashed = run(one, COUNT, 2)  # same worker: the engine aborts
        expect(crashed).to_contain_text("Database engine crashed")
        expect(crashed).to_contain_text(CRASHED)
        expect(crashed).to_contain_text("What to do:")
        expect(crashed).to_contain_text("engine_crash")

        expect_count(run(two, COUNT, 1), loans)  # the other session keeps working
        expect_count(run(one, COUNT, 3), loans)  # and the crashed one runs again
        assert crash_app["proc"].poll() is None  # the app process itself never went down
        shot(one, artifacts_dir, "crash-session-one")
        shot(two, artifacts_dir, "crash-session-two")
    except Exception:
        for name, page in (("one", one), ("two", two)):
            try:
                page.screenshot(path=str(artifacts_dir / f"FAILED-crash-session-{name}.png"))
            except Exception:  # the page may be what broke: keep the original error
                pass
        raise
    finally:
        ctx_one.close()
        ctx_two.close()
