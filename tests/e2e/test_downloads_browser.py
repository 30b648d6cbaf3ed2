"""'Download all rows' in real Chromium on the demo: a result cut at the row limit, the button,
the progress box, then Save hands the browser the whole file (read from disk on the click)."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_app_browser import choose_connection, go, wait_idle
from tests.e2e.test_notebook_browser import store_ws

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SQL = "SELECT loan_id, principal, origination_date FROM loans ORDER BY loan_id"


def test_save_all_rows_downloads_every_row(page, streamlit_server, tmp_path):
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    page.goto(streamlit_server["url"])
    # the demo is built on the server's first start (by this test or an earlier one)
    page.locator("h1", has_text="Olympus").first.wait_for()
    wait_idle(page, 60_000)
    go(page, "Ask")
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(SQL)
    box.press("Enter")
    page.get_by_text(re.compile(r"10,000 rows · 3 columns")).wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Download all rows").click()
    save = page.get_by_role("button", name=re.compile(r"Save all [\d,]+ rows \(CSV\)"))
    expect(save).to_be_visible()
    rows = int(re.search(r"([\d,]+) rows", save.inner_text()).group(1).replace(",", ""))
    ws = store_ws(streamlit_server["home"])
    total = int(ws.run_sql("Demo", "SELECT count(*) AS n FROM loans").rows()[0][0])
    assert rows == total > 10_000
    with page.expect_download(timeout=120_000) as info:
        save.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.endswith("_all.csv")
    with path.open(newline="") as f:
        read = list(csv.reader(f))
    assert read[0] == ["loan_id", "principal", "origination_date"]
    assert len(read) == total + 1
    ids = [int(r[0]) for r in read[1:]]
    assert ids == sorted(ids) and len(set(ids)) == total


# A per-row subquery: the first 10,001 rows stream in about a second, every row takes minutes.
PG_LONG = ("SELECT g, (SELECT count(*) FROM generate_series(1, 3000 + g % 2)) AS c "
           "FROM generate_series(1, 2000000) g")


def test_cancel_stops_the_download_on_postgresql(page, streamlit_server, pg_url, monkeypatch):
    import time

    import psycopg

    from tests.e2e.test_editor_browser import open_ask
    from tests.store_helpers import with_password

    ws = store_ws(streamlit_server["home"])
    if "PGdl" not in [c.name for c in ws.connections()]:
        ws.add_connection("PGdl", "postgresql", {"url": with_password(pg_url, "Dl-e2e-Pass-77")})

    def running() -> int:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                "'%3000 + g % 2%' AND state = 'active' "
                                "AND pid <> pg_backend_pid()").fetchone()[0]
    open_ask(page, streamlit_server)
    choose_connection(page, re.compile(r"^PGdl"))
    wait_idle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(PG_LONG)
    box.press("Enter")
    page.get_by_text(re.compile(r"10,000 rows · 2 columns")).wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_role("button", name="Download all rows").click()
    expect(page.get_by_text(re.compile(r"Running the query for every row… \d+\.\d s"))) \
        .to_be_visible()
    deadline = time.monotonic() + 20
    while running() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running() == 1, "the download's query never reached the server"
    clicked = time.monotonic()
    page.get_by_role("button", name="Cancel").click()
    while running() and time.monotonic() - clicked < 5:
        time.sleep(0.05)
    gone = time.monotonic() - clicked
    assert running() == 0 and gone < 2.0, f"still running {gone:.2f} s after Cancel"
    expect(page.get_by_text("Download cancelled")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Save all"))).to_have_count(0)
