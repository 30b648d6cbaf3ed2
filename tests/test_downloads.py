"""'Download all rows' on real DuckDB and PostgreSQL: every row past the row limit, in CSV,
Parquet and Excel, through the guard and the byte cap (and a note when the cap cut it)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import duckdb
import pandas as pd
import psycopg
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from olympus import downloads
from olympus.crypto import generate_key
from olympus.errors import UnsafeSQL
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import make_settings, with_password

ROWS = 25_000  # more than the 10,000-row limit
PASSWORD = "Dl-Secret-4411-pass"


def workspace(tmp_path, **env) -> Workspace:
    settings = make_settings(tmp_path, keys=(generate_key(),), **env)
    return Workspace(Store.from_settings(settings), "alice", settings=settings)


@pytest.fixture()
def ws(tmp_path):
    opened = workspace(tmp_path / "home")
    yield opened
    opened.close()
    opened.store.dispose()


@pytest.fixture()
def duck(ws, tmp_path):
    path = tmp_path / "loans.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"""CREATE TABLE loans AS SELECT i AS loan_id,
            CASE WHEN i = 7 THEN '=HYPERLINK("http://x.test")' WHEN i = 8 THEN '+1-2'
                 ELSE 'customer ' || i END AS customer,
            (i * 1.25)::DECIMAL(14, 2) AS amount,
            (DATE '2020-01-01' + (i % 1000)::INT) AS opened
            FROM range(1, {ROWS + 1}) r(i)""")
    ws.add_connection("duck", "duckdb", {"path": str(path)})
    return "duck"


SQL = "SELECT * FROM loans ORDER BY loan_id"


def test_the_page_shows_the_row_limit_and_the_download_holds_every_row(ws, duck):
    shown = ws.run_sql(duck, SQL)
    assert shown.row_count == 10_000 and shown.truncated_by == "rows"
    whole = downloads.fetch_all(ws, duck, SQL)
    assert whole.row_count == ROWS and not whole.truncated
    seen = []
    out = downloads.export(whole, "csv", name="loans", on_progress=lambda d, t: seen.append((d, t)))
    assert out.file_name == "loans.csv" and out.mime == "text/csv" and out.note is None
    assert seen[0] == (0, ROWS) and seen[-1] == (ROWS, ROWS) and len(seen) > 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    frame = pd.read_csv(io.BytesIO(out.data))
    assert len(frame) == ROWS and list(frame["loan_id"]) == list(range(1, ROWS + 1))
    assert frame["amount"].sum() == pytest.approx(sum(i * 1.25 for i in range(1, ROWS + 1)))
    # text a spreadsheet would run as a formula arrives as text
    assert frame.loc[6, "customer"] == "'=HYPERLINK(\"http://x.test\")"
    assert frame.loc[7, "customer"] == "'+1-2" and frame.loc[8, "customer"] == "customer 9"
    assert frame.loc[0, "opened"] == "2020-01-02"
    logged = ws.query_log(limit=1)[0]  # the download is a logged query like any other
    assert logged.status == "ok" and logged.row_count == ROWS


def test_parquet_and_excel_hold_every_row_with_their_types(ws, duck):
    whole = downloads.fetch_all(ws, duck, SQL)
    parquet = downloads.export(whole, "parquet", name="loans")
    table = pq.read_table(io.BytesIO(parquet.data))
    assert table.num_rows == ROWS and str(table.schema.field("amount").type) == "decimal128(14, 2)"
    assert table.column("amount")[ROWS - 1].as_py() == Decimal(ROWS) * Decimal("1.25")
    assert table.column("opened")[0].as_py() == dt.date(2020, 1, 2)

    excel = downloads.export(whole, "xlsx", name="loans")
    assert excel.file_name == "loans.xlsx" and excel.rows == ROWS and excel.note is None
    sheet = load_workbook(io.BytesIO(excel.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("loan_id", "customer", "amount", "opened")
    assert len(rows) == ROWS + 1 and rows[-1][0] == ROWS
    assert rows[1][2] == 1.25 and rows[1][3] == dt.datetime(2020, 1, 2)
    assert rows[7][1] == '=HYPERLINK("http://x.test")'  # stored as text, not a formula
    formulas = load_workbook(io.BytesIO(excel.data)).active["B8"]
    assert formulas.data_type == "s"


def test_excel_says_when_a_sheet_is_too_small(ws, duck, monkeypatch):
    monkeypatch.setattr(downloads, "EXCEL_MAX_ROWS", 1_000)
    out = downloads.export(downloads.fetch_all(ws, duck, SQL), "xlsx")
    assert out.rows == 1_000 and out.cut_by == "excel" and "CSV or Parquet" in out.note
    sheet = load_workbook(io.BytesIO(out.data), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 1_001


def test_the_guard_still_refuses_what_it_always_refuses(ws, duck):
    with pytest.raises(UnsafeSQL):
        downloads.fetch_all(ws, duck, "DELETE FROM loans")
    with pytest.raises(ValueError, match="csv, parquet, xlsx"):
        downloads.export(ws.run_sql(duck, "SELECT 1 AS x"), "zip")


def test_postgresql_download_holds_every_row(ws, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE events AS SELECT g AS id, now() - g * interval '1 minute' AS at,"
                     " (g % 97)::numeric(10, 2) AS amount FROM generate_series(1, 25000) g")
    ws.add_connection("pg", "postgresql", {"url": with_password(pg_url, PASSWORD)})
    assert ws.run_sql("pg", "SELECT * FROM events").row_count == 10_000
    whole = downloads.fetch_all(ws, "pg", "SELECT * FROM events ORDER BY id")
    assert whole.row_count == ROWS and not whole.truncated
    for fmt in ("csv", "parquet"):
        out = downloads.export(whole, fmt)
        frame = (pd.read_csv if fmt == "csv" else pd.read_parquet)(io.BytesIO(out.data))
        assert len(frame) == ROWS and frame["id"].tolist() == list(range(1, ROWS + 1))


def test_a_huge_result_is_cut_at_the_byte_cap_and_says_so(tmp_path, pg_url):
    capped = workspace(tmp_path / "capped", OLYMPUS_RESULT_MAX_BYTES=2_000_000)
    try:
        capped.add_connection("pg", "postgresql", {"url": with_password(pg_url, PASSWORD)})
        sql = "SELECT g AS id, repeat('x', 500) AS filler FROM generate_series(1, 200000) g"
        whole = downloads.fetch_all(capped, "pg", sql)
        assert whole.truncated_by == "bytes" and 0 < whole.row_count < 200_000
        out = downloads.export(whole, "csv")
        assert out.cut_by == "bytes" and "size cap" in out.note
        assert f"first {whole.row_count:,} rows" in out.note
        assert len(pd.read_csv(io.BytesIO(out.data))) == whole.row_count == out.rows
    finally:
        capped.close()
        capped.store.dispose()


# --- the page: "Download all rows" with progress, and the byte-cap note ---------------------

def _page():
    """An Ask-like page: the DuckDB file named by DL_TEST_DB, its loans, result_view."""
    import os

    from olympus.ui import results
    from olympus.ui.resources import workspace

    ws = workspace()
    if "duck" not in [c.name for c in ws.connections()]:
        ws.add_connection("duck", "duckdb", {"path": os.environ["DL_TEST_DB"]})
    result = ws.run_sql("duck", "SELECT * FROM loans ORDER BY loan_id")
    results.result_view(result, key="r", name="loans", connection="duck")


@pytest.fixture()
def page_env(tmp_path, monkeypatch):
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER", "OPENAI_API_KEY",
                 "OLYMPUS_ROW_LIMIT", "OLYMPUS_RESULT_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "page-home"))
    path = tmp_path / "page.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE loans AS SELECT i AS loan_id, 'customer ' || i AS customer, "
                    f"(i * 1.25)::DECIMAL(14, 2) AS amount FROM range(1, {ROWS + 1}) r(i)")
        full_bytes = con.sql("SELECT * FROM loans").to_arrow_table().nbytes
    monkeypatch.setenv("DL_TEST_DB", str(path))
    return monkeypatch, full_bytes


def _statuses(at) -> list[tuple[str, str]]:
    """(label, progress text) of each st.status box on the page."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "status":
                bars = [c.proto.text for c in child.children.values() if c.type == "progress"]
                found.append((child.proto.label, *bars))
            walk(child)
    walk(at._tree)
    return found


def _labels(at, kind: str) -> list[str]:
    return [el.label for el in at.get(kind)]


def test_download_all_rows_on_the_page(page_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Download CSV (rows shown)" in _labels(at, "download_button")
    next(b for b in at.button if b.label == "Download all rows").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _statuses(at) == [(f"{ROWS:,} rows ready to save", "Writing 25,000 of 25,000 rows…")]
    assert f"Save all {ROWS:,} rows (CSV)" in _labels(at, "download_button")
    ready = at.session_state["r:all:file"]
    assert len(pd.read_csv(io.BytesIO(ready.data))) == ROWS and ready.note is None

    at.segmented_control(key="r:fmt").set_value("parquet").run()
    next(b for b in at.button if b.label == "Download all rows").click().run()
    assert f"Save all {ROWS:,} rows (Parquet)" in _labels(at, "download_button")
    assert pq.read_table(io.BytesIO(at.session_state["r:all:file"].data)).num_rows == ROWS


def test_the_page_says_when_the_byte_cap_cut_the_download(page_env):
    from streamlit.testing.v1 import AppTest

    monkeypatch, full_bytes = page_env
    monkeypatch.setenv("OLYMPUS_RESULT_MAX_BYTES", str(int(full_bytes * 0.7)))
    at = AppTest.from_function(_page, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    next(b for b in at.button if b.label == "Download all rows").click().run()
    ready = at.session_state["r:all:file"]
    assert 10_000 < ready.rows < ROWS and ready.cut_by == "bytes"
    warnings = [w.value for w in at.warning]
    assert any("size cap" in w and f"{ready.rows:,}" in w.replace("\\", "") for w in warnings)
