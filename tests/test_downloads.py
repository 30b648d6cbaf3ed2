"""'Download all rows' on real DuckDB and PostgreSQL: every row past the row limit, written
straight from Arrow (no pandas frame) to a file in CSV, Parquet and Excel, through the guard and
the byte cap, with per-batch progress, cancellable mid-query; notebook cells too."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import tracemalloc

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from olympus import downloads, downloads_xlsx
from olympus.crypto import generate_key
from olympus.errors import ConfigError, QueryCancelled, UnsafeSQL
from olympus.notebooks.model import Param, new_cell, update_cell
from olympus.runner import QueryHandle
from olympus.store import Store
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.store_helpers import make_settings, with_password
from tests.waiting import within

ROWS = 25_000  # more than the 10,000-row limit
PASSWORD = "Dl-Secret-4411-pass"
SQL = "SELECT * FROM loans ORDER BY loan_id"


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


def test_the_page_shows_the_row_limit_and_the_download_holds_every_row(ws, duck, tmp_path):
    shown = ws.run_sql(duck, SQL)
    assert shown.row_count == 10_000 and shown.truncated_by == "rows"
    whole = downloads.fetch_all(ws, duck, SQL)
    assert whole.row_count == ROWS and not whole.truncated
    seen = []
    out = downloads.export(whole, "csv", name="loans", directory=str(tmp_path),
                           on_progress=lambda d, t: seen.append((d, t)))
    assert out.file_name == "loans.csv" and out.mime == "text/csv" and out.note is None
    assert out.path.startswith(str(tmp_path)) and out.size == len(out.data) > 0
    assert seen == [(0, ROWS), (downloads.CHUNK_ROWS, ROWS), (ROWS, ROWS)]  # per batch
    frame = pd.read_csv(io.BytesIO(out.data))
    assert len(frame) == ROWS and list(frame["loan_id"]) == list(range(1, ROWS + 1))
    assert frame["amount"].sum() == pytest.approx(sum(i * 1.25 for i in range(1, ROWS + 1)))
    # text a spreadsheet would run as a formula arrives as text
    assert frame.loc[6, "customer"] == "'=HYPERLINK(\"http://x.test\")"
    assert frame.loc[7, "customer"] == "'+1-2" and frame.loc[8, "customer"] == "customer 9"
    assert frame.loc[0, "opened"] == "2020-01-02"
    logged = ws.query_log(limit=1)[0]  # the download is a logged query like any other
    assert logged.status == "ok" and logged.row_count == ROWS
    out.discard()
    assert not list(tmp_path.glob("olympus-*"))


def test_parquet_and_excel_hold_every_row_with_their_types(ws, duck):
    whole = downloads.fetch_all(ws, duck, SQL)
    parquet = downloads.export(whole, "parquet", name="loans")
    table = pq.read_table(parquet.path)
    assert table.equals(whole.arrow)  # the database's own types and every value
    assert str(table.schema.field("amount").type) == "decimal128(14, 2)"

    excel = downloads.export(whole, "xlsx", name="loans")
    assert excel.file_name == "loans.xlsx" and excel.rows == ROWS and excel.note is None
    sheet = load_workbook(excel.path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("loan_id", "customer", "amount", "opened")
    assert len(rows) == ROWS + 1 and rows[-1][0] == ROWS
    assert rows[1][2] == 1.25 and rows[1][3] == dt.datetime(2020, 1, 2)
    assert rows[7][1] == '=HYPERLINK("http://x.test")'  # stored as text, not a formula
    assert load_workbook(excel.path).active["B8"].data_type == "s"
    for out in (parquet, excel):
        out.discard()


def test_every_type_reads_back_in_each_format(ws, tmp_path):
    path = tmp_path / "types.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
            (1, true, 2.5::DOUBLE, 12345.67::DECIMAL(12, 2), DATE '2024-02-29',
             TIMESTAMP '2024-03-01 13:45:30', TIMESTAMPTZ '2024-03-01 13:45:30+00',
             TIME '08:30:00', [1, 2], '\\xAB'::BLOB, 'plain'),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL))
            v(id, flag, ratio, money, day, stamp, stamp_tz, clock, tags, raw, label)""")
    ws.add_connection("types", "duckdb", {"path": str(path)})
    whole = downloads.fetch_all(ws, "types", "SELECT * FROM t ORDER BY id")
    parquet = downloads.export(whole, "parquet")
    assert pq.read_table(parquet.path).equals(whole.arrow)
    csv = pacsv.read_csv(downloads.export(whole, "csv").path, convert_options=pacsv.ConvertOptions(
        strings_can_be_null=True)).to_pylist()
    assert csv[0]["money"] == 12345.67 and csv[0]["flag"] is True
    assert csv[0]["tags"] == "[1, 2]" and csv[0]["raw"] == "ab"
    assert str(csv[0]["clock"]).startswith("08:30:00")
    assert all(v is None for k, v in csv[1].items() if k != "id")
    sheet = load_workbook(downloads.export(whole, "xlsx").path).active
    first = [c.value for c in sheet[2]]
    assert first[:4] == [1, True, 2.5, 12345.67]
    assert first[4:6] == [dt.datetime(2024, 2, 29), dt.datetime(2024, 3, 1, 13, 45, 30)]
    assert isinstance(first[6], dt.datetime) and first[7].startswith("08:30:00")
    assert first[8:] == ["[1, 2]", "ab", "plain"]
    assert [c.value for c in sheet[3]][1:] == [None] * 10


def test_excel_splits_rows_over_sheets_rather_than_cutting(ws, duck, monkeypatch):
    monkeypatch.setattr(downloads_xlsx, "EXCEL_MAX_ROWS", 10_000)
    monkeypatch.setattr(downloads, "EXCEL_MAX_ROWS", 10_000)
    out = downloads.export(downloads.fetch_all(ws, duck, SQL), "xlsx")
    assert out.rows == ROWS and out.sheets == 3 and "split over 3 sheets" in out.note
    book = load_workbook(out.path, read_only=True)
    assert book.sheetnames == ["Result", "Result 2", "Result 3"]
    ids = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("loan_id", "customer", "amount", "opened")
        ids += [r[0] for r in rows[1:]]
    assert ids == list(range(1, ROWS + 1))


def test_the_rows_shown_download_is_built_in_memory_in_each_format(ws, duck):
    shown = ws.run_sql(duck, SQL)
    assert pacsv.read_csv(io.BytesIO(downloads.to_bytes(shown, "csv"))).num_rows == 10_000
    assert pq.read_table(io.BytesIO(downloads.to_bytes(shown, "parquet"))).equals(shown.arrow)
    sheet = load_workbook(io.BytesIO(downloads.to_bytes(shown, "xlsx")), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 10_001


def test_the_guard_still_refuses_what_it_always_refuses(ws, duck):
    with pytest.raises(UnsafeSQL):
        downloads.fetch_all(ws, duck, "DELETE FROM loans")
    with pytest.raises(ValueError, match="csv, parquet, xlsx"):
        downloads.export(ws.run_sql(duck, "SELECT 1 AS x"), "zip")


def test_a_cancel_while_writing_leaves_no_partial_file(ws, duck, tmp_path):
    handle = QueryHandle()

    def progress(done: int, total: int) -> None:
        if done:
            handle.cancel()  # after the first batch is written
    with pytest.raises(QueryCancelled):
        downloads.prepare(lambda h: downloads.fetch_all(ws, duck, SQL, handle=h), "xlsx",
                          handle=handle, on_progress=progress, directory=str(tmp_path))
    assert not list(tmp_path.glob("olympus-*"))


# --- memory: the export never builds a pandas frame, and holds one batch at a time -------------

@pytest.fixture()
def no_pandas_frames(monkeypatch):
    """Any pandas frame built from here on fails the test (every route Arrow and we use)."""
    import pyarrow.pandas_compat as compat

    from olympus import runner

    def refuse(*args, **kwargs):
        raise AssertionError("a pandas DataFrame was built")
    monkeypatch.setattr(compat, "table_to_dataframe", refuse)
    monkeypatch.setattr(runner, "to_pandas", refuse)
    monkeypatch.setattr(pd.DataFrame, "__init__", refuse)
    monkeypatch.setattr(pd.DataFrame, "_from_mgr", classmethod(refuse))


def test_a_million_rows_export_without_pandas_in_bounded_memory(ws, tmp_path, no_pandas_frames):
    path = tmp_path / "big.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""CREATE TABLE big AS SELECT i AS id, 'customer ' || i AS name,
            (i * 1.25)::DECIMAL(14, 2) AS amount, DATE '2020-01-01' + (i % 1000)::INT AS day
            FROM range(1, 1000001) r(i)""")
    ws.add_connection("big", "duckdb", {"path": str(path)})
    whole = downloads.fetch_all(ws, "big", "SELECT * FROM big ORDER BY id")
    assert whole.row_count == 1_000_000 and whole.arrow is not None
    for fmt in ("csv", "parquet"):
        base, peaks = pa.total_allocated_bytes(), []
        tracemalloc.start()
        out = downloads.export(whole, fmt, directory=str(tmp_path), on_progress=lambda d, t:
                               peaks.append(pa.total_allocated_bytes() - base))
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # Python objects: a few MB at most; Arrow buffers beyond the result: about a batch
        assert python_peak < whole.arrow.nbytes * 0.05, (fmt, python_peak)
        assert max(peaks) < whole.arrow.nbytes * 0.2, (fmt, max(peaks), whole.arrow.nbytes)
        read = (pacsv.read_csv if fmt == "csv" else pq.read_table)(out.path)
        assert read.num_rows == 1_000_000 and read.column("id")[-1].as_py() == 1_000_000
        out.discard()


def test_excel_memory_stays_flat_as_rows_grow(ws, duck, no_pandas_frames):
    """Four times the rows, about the same peak: one batch of cells at a time (constant_memory)."""
    def peak(rows: int) -> int:
        result = downloads.fetch_all(ws, duck, f"SELECT * FROM range({rows}) r(i), "
                                                f"(SELECT 'customer' AS c, 1.5::DOUBLE AS v)")
        tracemalloc.start()
        downloads.export(result, "xlsx").discard()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top
    small, large = peak(20_000), peak(80_000)
    assert large < small * 1.5, (small, large)


# --- PostgreSQL: a >100k-row table in every format, the byte cap, cancel mid-query -----------

BIG = 120_000


@pytest.fixture()
def pg(ws, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS dl_events")
        conn.execute(f"""CREATE TABLE dl_events AS SELECT g AS id,
            timestamp '2024-01-01' + g * interval '1 minute' AS at,
            (g % 97)::numeric(10, 2) AS amount, 'event ' || g AS label
            FROM generate_series(1, {BIG}) g""")
    ws.add_connection("pg", "postgresql", {"url": with_password(pg_url, PASSWORD)})
    return "pg"


def test_postgresql_download_of_a_big_table_reads_back_in_every_format(ws, pg, pg_url):
    assert ws.run_sql(pg, "SELECT * FROM dl_events").row_count == 10_000
    whole = downloads.fetch_all(ws, pg, "SELECT * FROM dl_events ORDER BY id")
    assert whole.row_count == BIG and not whole.truncated
    with psycopg.connect(pg_url) as conn:
        source = conn.execute("SELECT id, at, amount, label FROM dl_events ORDER BY id").fetchall()
    parquet = pq.read_table(downloads.export(whole, "parquet").path)
    assert [tuple(r.values()) for r in parquet.to_pylist()] == source
    assert pa.types.is_decimal(parquet.schema.field("amount").type)
    csv = pacsv.read_csv(downloads.export(whole, "csv").path)
    assert csv.column("id").to_pylist() == [r[0] for r in source]
    assert csv.column("amount").to_pylist() == [float(r[2]) for r in source]
    assert csv.column("label").to_pylist() == [r[3] for r in source]
    sheet = load_workbook(downloads.export(whole, "xlsx").path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert len(rows) == BIG
    for got, want in zip(rows[::997], source[::997]):
        assert got[0] == want[0] and got[2] == float(want[2]) and got[3] == want[3]
        assert abs(got[1] - want[1]) < dt.timedelta(milliseconds=1)


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
        assert pacsv.read_csv(out.path).num_rows == whole.row_count == out.rows
    finally:
        capped.close()
        capped.store.dispose()


def test_cancel_stops_the_download_query_on_the_server(ws, pg, pg_url, tmp_path):
    handle, outcome = QueryHandle(), {}
    sql = "SELECT count(*) AS n FROM generate_series(1, 987654321)"  # the guard denies pg_sleep

    def work() -> None:
        try:
            outcome["export"] = downloads.prepare(
                lambda h: downloads.fetch_all(ws, pg, sql, handle=h), "csv", handle=handle,
                directory=str(tmp_path))
        except BaseException as exc:
            outcome["error"] = exc
    worker = threading.Thread(target=work)
    worker.start()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert within(lambda: _sleeping(conn), 10.0), "the query never started"
        cancelled_at = time.monotonic()
        handle.cancel()
        worker.join(10)
        assert isinstance(outcome.get("error"), QueryCancelled), outcome
        assert within(lambda: not _sleeping(conn), 2.0)
        assert time.monotonic() - cancelled_at < 3.0
    assert not list(tmp_path.glob("olympus-*"))


def _sleeping(conn) -> bool:
    return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                        "'%generate_series(1, 987654321)%' AND state = 'active' "
                        "AND pid <> pg_backend_pid()").fetchone()[0] > 0


# --- notebook cells: the compiled statement with bound parameters, by role -------------------

def test_a_notebook_cell_downloads_every_row_with_its_parameters(ws, duck):
    nb = ws.create_notebook("Book", params=(Param("floor", "number", "Floor", default=100),),
                            cells=(new_cell("sql", name="base", connection=duck,
                                            sql="SELECT * FROM loans WHERE loan_id > {{floor}}"),
                                   new_cell("sql", name="big", connection=duck,
                                            sql="SELECT loan_id, amount FROM {{base}} "
                                                "ORDER BY loan_id")))
    run = ws.run_cell(nb.id, "big", {"floor": 500})
    assert run.result.truncated_by == "rows" and run.result.row_count == 10_000
    whole = downloads.fetch_cell(ws, nb.id, "big", {"floor": 500}, expect=run.fingerprint)
    assert whole.row_count == ROWS - 500 and whole.columns == ("loan_id", "amount")
    assert whole.arrow.column("loan_id")[0].as_py() == 501
    assert ws.query_log(limit=1)[0].row_count == ROWS - 500
    with pytest.raises(ConfigError, match="changed since this result ran"):
        downloads.fetch_cell(ws, nb.id, "big", {"floor": 900}, expect=run.fingerprint)
    ws.save_notebook(update_cell(ws.notebook(nb.id), "big", sql="SELECT 1 AS x"))
    with pytest.raises(ConfigError, match="changed"):
        downloads.fetch_cell(ws, nb.id, "big", {"floor": 500}, expect=run.fingerprint)


def test_a_viewer_cannot_download_a_cells_rows(ws, duck):
    nb = ws.create_notebook("Viewed", cells=(new_cell("sql", name="all", connection=duck,
                                                      sql=SQL),))
    viewer = Workspace(ws.store, ws.owner, settings=ws.settings,
                       principal=Principal(user="vic", space=ws.owner, role="viewer"))
    with pytest.raises(Forbidden):
        downloads.fetch_cell(viewer, nb.id, "all")
    with pytest.raises(Forbidden):
        downloads.fetch_all(viewer, duck, SQL)
