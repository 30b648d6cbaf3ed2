"""'Download all rows' in real Chromium on the demo: a result cut at the row limit, the button,
the progress box, then Save hands the browser the whole file (read from disk on the click)."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_app_browser import go, wait_idle
from tests.e2e.test_notebook_browser import store_ws

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SQL = "SELECT loan_id, principal, origination_date FROM loans ORDER BY loan_id"


def test_save_all_rows_downloads_every_row(page, streamlit_server, tmp_path):
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    page.goto(streamlit_server["url"])
    page.get_by_text("created a demo database").wait_for()  # the first start builds it
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
