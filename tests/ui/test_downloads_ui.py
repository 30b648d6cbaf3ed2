"""'Download all rows' as a person sees it (AppTest, real DuckDB): the button on a cut result, the
file waiting on disk (not in session state) with a Save button, Discard and replacement deleting
it, the byte-cap note; and the same button on a notebook cell, which a viewer doesn't get."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import psycopg
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from olympus import downloads
from olympus.config import Settings
from olympus.notebooks.model import Param, new_cell
from olympus.teams import Forbidden
from tests.ui.helpers import no_traceback
from tests.ui.test_identity import ANA, oidc, person, run, teams  # noqa: F401 (fixture)
from tests.ui.test_notebook_page import page, workspace
from tests.ui.test_notebook_roles import as_member
from tests.waiting import within

ROWS = 25_000


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
def page_env(olympus_home, tmp_path, monkeypatch):
    path = tmp_path / "page.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE loans AS SELECT i AS loan_id, 'customer ' || i AS customer, "
                    f"(i * 1.25)::DECIMAL(14, 2) AS amount FROM range(1, {ROWS + 1}) r(i)")
        full_bytes = con.sql("SELECT * FROM loans").to_arrow_table().nbytes
    monkeypatch.setenv("DL_TEST_DB", str(path))
    return monkeypatch, full_bytes


def labels(at: AppTest, kind: str) -> list[str]:
    return [el.label for el in at.get(kind)]


def click_all(at: AppTest, key: str = "r") -> AppTest:
    at.button(key=f"{key}:all").click().run()
    no_traceback(at)
    return at


def test_download_all_rows_waits_on_disk_and_is_replaced_and_discarded(page_env):
    at = AppTest.from_function(_page, default_timeout=120).run()
    no_traceback(at)
    assert "Download CSV (rows shown)" in labels(at, "download_button")
    click_all(at)
    assert f"Save all {ROWS:,} rows (CSV)" in labels(at, "download_button")
    ready = at.session_state["r:all:file"]
    assert isinstance(ready, downloads.Export)  # a path and facts, not the file's bytes
    assert not [v for v in vars(ready).values() if isinstance(v, (bytes, bytearray))]
    assert pacsv.read_csv(ready.path).num_rows == ROWS and ready.note is None
    assert "r:all:job" not in at.session_state  # the worker finished and was settled
    first = Path(ready.path)

    at.segmented_control(key="r:fmt").set_value("parquet").run()
    click_all(at)
    assert f"Save all {ROWS:,} rows (Parquet)" in labels(at, "download_button")
    second = Path(at.session_state["r:all:file"].path)
    assert not first.exists(), "the replaced file is deleted"
    assert pq.read_table(second).num_rows == ROWS

    at.button(key="r:all:discard").click().run()
    no_traceback(at)
    assert not second.exists() and "r:all:file" not in at.session_state
    assert not [b for b in labels(at, "download_button") if b.startswith("Save all")]


def _fragment_page():
    """The same result inside a fragment (as the Ask page draws each entry)."""
    import os

    import streamlit as st

    from olympus.ui import results
    from olympus.ui.resources import workspace

    @st.fragment
    def entry():
        ws = workspace()
        if "duck" not in [c.name for c in ws.connections()]:
            ws.add_connection("duck", "duckdb", {"path": os.environ["DL_TEST_DB"]})
        result = ws.run_sql("duck", "SELECT * FROM loans ORDER BY loan_id")
        results.result_view(result, key="r", name="loans", connection="duck")
    entry()


def test_inside_a_fragment_the_download_is_followed_in_short_runs(page_env, monkeypatch):
    from olympus.ui import downloads as page_downloads

    monkeypatch.setattr(page_downloads, "FRAGMENT_S", 0.0)  # every run ends at once
    deadlines, real = [], page_downloads._deadline
    monkeypatch.setattr(page_downloads, "_deadline", lambda: deadlines.append(real()) or
                        deadlines[-1])
    at = click_all(AppTest.from_function(_fragment_page, default_timeout=120).run())
    assert deadlines and all(d is not None for d in deadlines)  # bounded: clicks get through
    assert f"Save all {ROWS:,} rows (CSV)" in labels(at, "download_button")
    assert pacsv.read_csv(at.session_state["r:all:file"].path).num_rows == ROWS


def test_the_file_goes_when_the_session_goes(page_env):
    import gc

    at = click_all(AppTest.from_function(_page, default_timeout=120).run())
    path = Path(at.session_state["r:all:file"].path)
    assert path.exists()
    del at
    gc.collect()
    assert not path.exists(), "a session's file is deleted with its state"


def test_the_page_says_when_the_byte_cap_cut_the_download(page_env):
    monkeypatch, full_bytes = page_env
    monkeypatch.setenv("OLYMPUS_RESULT_MAX_BYTES", str(int(full_bytes * 0.7)))
    at = click_all(AppTest.from_function(_page, default_timeout=120).run())
    ready = at.session_state["r:all:file"]
    assert 10_000 < ready.rows < ROWS and ready.cut_by == "bytes"
    warnings = [w.value for w in at.warning]
    assert any("size cap" in w and f"{ready.rows:,}" in w.replace("\\", "") for w in warnings)


# --- notebooks --------------------------------------------------------------------------------

SQL = "SELECT loan_id, principal FROM loans WHERE loan_id > {{floor}} ORDER BY loan_id"


def _book(ws) -> str:
    nb = ws.create_notebook("Every row", params=(Param("floor", "number", "Floor", default=10),),
                            cells=(new_cell("sql", name="loans_over", connection="Demo",
                                            sql=SQL),))
    return nb.cells[0].id


def test_a_notebook_cell_downloads_every_row_of_its_statement(app, monkeypatch):
    monkeypatch.setenv("OLYMPUS_ROW_LIMIT", "50")
    app("app.py")  # the demo and its connection
    ws = workspace()
    cell = _book(ws)
    at = page({"notebook": "Every row"})
    at.button(key=f"nb:{cell}:run").click().run()
    no_traceback(at)
    expected = ws.run_sql("Demo", "SELECT count(*) AS n FROM loans WHERE loan_id > 10").df
    total = int(expected.iloc[0, 0])
    assert total > 50
    click_all(at, f"nbr:{cell}")
    ready = at.session_state[f"nbr:{cell}:all:file"]
    got = pacsv.read_csv(ready.path)
    assert got.num_rows == total == ready.rows and got.column_names == ["loan_id", "principal"]
    assert got.column("loan_id")[0].as_py() == 11  # the parameter was bound
    assert f"Save all {total:,} rows (CSV)" in labels(at, "download_button")


def test_a_viewer_gets_no_download_and_the_core_refuses(oidc, monkeypatch):  # noqa: F811
    monkeypatch.setenv("OLYMPUS_ROW_LIMIT", "50")
    run(user=ANA)  # the admin's first sign-in creates the space and the demo
    found, _ = teams()
    owner = Settings.from_env().owner
    found.set_member(owner, "vic@example.com", "viewer")
    ana = as_member("ana@example.com", "admin")
    cell = _book(ana)
    ana.run_all("Every row")  # results kept with the run: a viewer sees them
    vic = run("pages/10_Notebooks.py", user=person("vic@example.com"),
              query={"notebook": "Every row"})
    no_traceback(vic)
    assert vic.dataframe, "the viewer sees the stored result"
    assert "Download all rows" not in [b.label for b in vic.button]
    assert f"nbr:{cell}:all" not in [b.key for b in vic.button]
    with pytest.raises(Forbidden):
        downloads.fetch_cell(as_member("vic@example.com", "viewer"), "Every row", "loans_over")


# --- Cancel on the page: the query stops on the server, no file is kept ------------------------

def _pg_page():
    """A cut result on PostgreSQL whose 'every row' statement runs long (DL_TEST_PG)."""
    import os

    from olympus import downloads as core
    from olympus.ui import results
    from olympus.ui.resources import workspace

    slow = "SELECT count(*) AS n FROM generate_series(1, 987654321)"  # the guard denies pg_sleep
    ws = workspace()
    if "pg" not in [c.name for c in ws.connections()]:
        ws.add_connection("pg", "postgresql", {"url": os.environ["DL_TEST_PG"]})
    result = ws.run_sql("pg", "SELECT g FROM generate_series(1, 20000) g")
    results.result_view(result, key="r", name="slow", connection="pg",
                        fetch=lambda handle: core.fetch_all(ws, "pg", slow, handle=handle))


def _running_slow(conn) -> bool:
    return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                        "'%generate_series(1, 987654321)%' AND state = 'active' "
                        "AND pid <> pg_backend_pid()").fetchone()[0] > 0


def test_cancel_on_the_page_stops_the_query_on_the_server(olympus_home, pg_url, monkeypatch):
    """The Cancel button's own callback (running.cancel) fired from another thread while the
    page's progress loop runs, as a click would: the statement ends, the page says so."""
    from olympus.ui import downloads as page_downloads
    from olympus.ui import running
    from tests.store_helpers import with_password

    monkeypatch.setenv("DL_TEST_PG", with_password(pg_url, "Dl-Secret-4411-pass"))
    started: list = []
    real_start = page_downloads.start

    def spy(**kwargs):
        started.append(real_start(**kwargs))
        return started[-1]
    monkeypatch.setattr(page_downloads, "start", spy)
    outcome: dict = {}

    def click_cancel() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            outcome["ran"] = within(lambda: bool(started) and _running_slow(conn), 30)
            outcome["clicked"] = time.monotonic()
            running.cancel(started[-1])
            outcome["gone"] = within(lambda: not _running_slow(conn), 2.0)
            outcome["gone_after"] = time.monotonic() - outcome["clicked"]
    at = AppTest.from_function(_pg_page, default_timeout=120).run()
    no_traceback(at)
    canceller = threading.Thread(target=click_cancel)
    canceller.start()
    click_all(at)
    canceller.join(30)
    assert outcome.get("ran") and outcome.get("gone"), outcome
    assert outcome["gone_after"] < 2.0
    assert "r:all:file" not in at.session_state and "r:all:job" not in at.session_state
    notice = at.session_state["r:all:notice"]
    assert notice["title"] == "Download cancelled" and "stopped the query" in notice["message"]
    assert any("Download cancelled" in e.value for e in at.error)
