"""Running notebooks on the real demo (DuckDB): run-all order and progress, cancel on the
server, question cells through the agent (fake OpenAI server), and the demo notebook itself."""

from __future__ import annotations

import shutil
import threading
import time

import duckdb

from olympus.crypto import generate_key
from olympus.notebooks import model as m
from olympus.notebooks.demo import DEMO_NOTEBOOK
from olympus.runner import QueryHandle
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.fake_openai import FakeOpenAI, run_sql, say
from tests.store_helpers import make_settings

LONG = "SELECT count(*) AS n FROM range(100000000) a, range(100000000) b WHERE a.range <> b.range"


def test_the_demo_notebook_runs_end_to_end_and_matches_duckdb(ws, demo_file):
    nb = ws.notebook(DEMO_NOTEBOOK)
    assert [p.kind for p in nb.params] == ["date_range"]
    assert sum(c.view.kind == "chart" for c in nb.cells) == 2
    assert sum(c.kind == "note" for c in nb.cells) >= 2
    assert any("{{loans_in_period}}" in c.sql for c in nb.cells)  # chained
    seen = []
    done = ws.run_all(DEMO_NOTEBOOK, {"period": "2024-01-01..2024-06-30"},
                      progress=lambda i, n, cell: seen.append((i, n, cell.name)))
    assert seen == [(i, len(nb.cells), c.name) for i, c in enumerate(nb.cells)]
    assert done.ok and [c.name for c in done.cells] == [c.name for c in nb.cells]
    runs = done.by_name()
    with duckdb.connect(str(demo_file), read_only=True) as con:  # the same data, read apart
        count, total = con.execute(
            "SELECT count(*), sum(principal) FROM loans WHERE origination_date "
            "BETWEEN DATE '2024-01-01' AND DATE '2024-06-30'").fetchone()
        months = con.execute("SELECT count(DISTINCT date_trunc('month', origination_date)) "
                             "FROM loans WHERE origination_date BETWEEN DATE '2024-01-01' "
                             "AND DATE '2024-06-30'").fetchone()[0]
    assert runs["loans_in_period"].result.row_count == count
    assert float(runs["originated"].result.rows()[0][0]) == float(total)
    assert runs["monthly_loans"].result.row_count == months == 6
    assert "WITH loans_in_period AS" in runs["by_category"].sql  # one statement, CTE inlined
    assert "2024-01-01" not in runs["by_category"].sql  # the dates are bound, not pasted
    assert done.notebook.version == 1
    assert [(v.number, v.reason) for v in ws.notebook_versions(DEMO_NOTEBOOK)] == [(1, "run_all")]
    assert set(ws.stale_cells(DEMO_NOTEBOOK, {"period": "2024-01-01..2024-06-30"}).values()) \
        == {"fresh"}
    assert set(ws.stale_cells(DEMO_NOTEBOOK).values()) == {"stale"}  # other dates: stale
    logged = ws.query_log(limit=4)
    assert {e.source for e in logged} == {"notebook"}


def test_an_upstream_edit_makes_downstream_cells_stale(ws):
    ws.run_all(DEMO_NOTEBOOK)
    nb = ws.notebook(DEMO_NOTEBOOK)
    ws.save_notebook(m.update_cell(nb, "loans_in_period",
                                   sql=nb.cell("loans_in_period").sql + " AND principal > 0"))
    states = ws.stale_cells(DEMO_NOTEBOOK)
    assert states == {"loans_in_period": "stale", "originated": "stale",
                      "monthly_loans": "stale", "by_category": "stale"}
    ws.run_cell(DEMO_NOTEBOOK, "originated")
    assert ws.stale_cells(DEMO_NOTEBOOK)["originated"] == "fresh"
    assert ws.stale_cells(DEMO_NOTEBOOK)["monthly_loans"] == "stale"


def test_the_demo_notebook_is_created_once(ws, store, settings):
    assert [n.name for n in ws.notebooks()] == [DEMO_NOTEBOOK]
    ws.delete_notebook(DEMO_NOTEBOOK)
    again = Workspace(store, settings=settings)  # a restart
    again.offer_demo()
    again.ensure_demo()  # `python -m olympus demo`
    assert again.notebooks() == []  # deleted stays deleted


def test_failures_do_not_stop_run_all_and_cancel_does(ws):
    cells = [m.new_cell("sql", name="first", connection="Demo", sql="SELECT 1 AS one"),
             m.new_cell("sql", name="broken", connection="Demo", sql="SELECT nope FROM loans"),
             m.new_cell("sql", name="slow", connection="Demo", sql=LONG),
             m.new_cell("sql", name="after", connection="Demo", sql="SELECT 2 AS two")]
    ws.create_notebook("Cancel me", cells=cells)
    handle, started = QueryHandle(), []

    def progress(i, n, cell):
        if cell.name == "slow":
            started.append(time.monotonic())
            threading.Timer(0.8, handle.cancel).start()

    began = time.monotonic()
    done = ws.run_all("Cancel me", progress=progress, handle=handle)
    assert time.monotonic() - started[0] < 5 and time.monotonic() - began < 10
    assert [(c.name, c.status) for c in done.cells] == \
        [("first", "ok"), ("broken", "error"), ("slow", "cancelled"), ("after", "cancelled")]
    assert done.cancelled and not done.ok and "nope" in done.cells[1].error.message
    assert done.cells[3].result is None  # never started
    assert ws.query_log(limit=1)[0].status == "cancelled"
    assert ws.run_cell("Cancel me", "after").result.rows() == [[2]]  # the connection still works


def test_a_question_cell_asks_the_agent_and_keeps_the_sql(tmp_path, demo_file):
    sql = "SELECT status, count(*) AS loans FROM loans GROUP BY status ORDER BY loans DESC"
    with FakeOpenAI() as llm:
        llm.script(run_sql(sql), say("Most loans are current."))
        settings = make_settings(tmp_path, keys=(generate_key(),),
                                 OPENAI_API_KEY="test", OPENAI_BASE_URL=llm.base_url)
        shutil.copy(demo_file, settings.demo_path)
        store = Store.from_settings(settings)
        ws = Workspace(store, settings=settings)
        try:
            ws.offer_demo()
            ws.create_notebook("Asked", cells=[m.new_cell(
                "question", name="statuses", connection="Demo",
                question="How many loans per status?")])
            run = ws.run_cell("Asked", "statuses")
            assert run.status == "ok" and run.result.row_count == 5
            assert "7,005 (current)" in run.answer  # data exposure off: summarised locally
            kept = ws.notebook("Asked").cell("statuses")
            assert kept.sql == sql and kept.question == "How many loans per status?"
            calls = len(llm.requests)
            again = ws.run_cell("Asked", "statuses")  # the kept SQL runs: no model call
            assert again.result.row_count == 5 and len(llm.requests) == calls
            assert ws.stale_cells("Asked") == {"statuses": "fresh"}
        finally:
            ws.close()
            store.dispose()


def test_chaining_across_connections_only_when_run_locally(ws, tmp_path):
    path = tmp_path / "targets.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE targets AS SELECT * FROM (VALUES ('current', 7000), "
                    "('late', 50)) t(status, target)")
    ws.add_connection("Targets", "duckdb", {"path": str(path)})
    cells = [m.new_cell("sql", name="counts", connection="Demo",
                        sql="SELECT status, count(*) AS n FROM loans GROUP BY status"),
             m.new_cell("sql", name="goals", connection="Targets", sql="SELECT * FROM targets"),
             # local DuckDB sees the fetched results of the cells it reads, not other tables
             m.new_cell("sql", name="vs_target", connection="Targets",
                        sql="SELECT t.status, c.n - t.target AS gap FROM {{goals}} AS t "
                            "JOIN {{counts}} AS c ON c.status = t.status ORDER BY 1")]
    ws.create_notebook("Across", cells=cells)
    refused = ws.run_cell("Across", "vs_target")
    assert refused.status == "error" and refused.error.title == "Chained across connections"
    assert ws.stale_cells("Across")["vs_target"] == "stale"
    local = ws.run_cell("Across", "vs_target", local=True)
    assert local.status == "ok", local.error
    assert local.result.rows() == [["current", 5], ["late", 39]]
    assert ws.stale_cells("Across")["vs_target"] == "fresh"


def test_edits_saved_while_run_all_runs_are_kept(ws):
    def progress(i, n, cell):
        if cell.name == "monthly_loans":  # someone edits in another tab meanwhile
            nb = ws.notebook(DEMO_NOTEBOOK)
            ws.save_notebook(m.update_cell(nb, "intro", markdown="Edited mid-run"))

    done = ws.run_all(DEMO_NOTEBOOK, progress=progress)
    assert done.ok and done.notebook.cell("intro").markdown == "Edited mid-run"
    assert ws.notebook_version(DEMO_NOTEBOOK, 1).cell("intro").markdown == "Edited mid-run"
