"""Embedded-engine queries run in worker processes: a crash, a stuck query or a runaway result
costs a restart of the worker, never the app process (every user's session)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from olympus.connectors import create_connector
from olympus.connectors.worker import GRACE_S, EngineCrashed
from olympus.errors import QueryTimeout
from tests.safety.test_result_bytes import CAP, MB, WIDE, _measure
from tests.services import ROOT
from tests.ui.conftest import app, olympus_home  # noqa: F401  (fixtures)
from tests.ui.helpers import no_traceback, shown

CRASH = "SELECT * FROM enable_logging(storage='file', storage_path='{dir}/logs')"
# one scalar call that runs for seconds and checks DuckDB's interrupt only when it ends
STUCK = "SELECT levenshtein(repeat('a', 100000), repeat('b', 100000)) AS d"


@pytest.fixture
def duck_path(tmp_path):
    path = tmp_path / "iso.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS id FROM range(5)")
    con.close()
    return str(path)


def _pids(connector) -> set[int]:
    return {w.proc.pid for w in connector.workers()._idle}


def test_the_crashing_query_really_aborts_an_in_process_engine(duck_path, tmp_path):
    """The premise, in a throwaway process: in-process, the second query kills the process."""
    code = textwrap.dedent(f"""
        from olympus.connectors import create_connector
        c = create_connector("duckdb", {{"path": {duck_path!r}}})
        c.isolated = False
        for sql in ({CRASH.format(dir=tmp_path)!r}, "SELECT 1"):
            c.fetch(sql, limit=10, timeout_s=10)
        c.dispose()
        print("survived")""")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and "survived" not in done.stdout, done
    assert "terminate called" in done.stderr, done.stderr[-500:]


def test_a_query_that_aborts_duckdb_is_mapped_and_the_worker_restarts(duck_path, tmp_path):
    connector = create_connector("duckdb", {"path": duck_path})
    try:
        connector.fetch(CRASH.format(dir=tmp_path), limit=10, timeout_s=10)  # below the guard
        before = _pids(connector)
        with pytest.raises(EngineCrashed, match="crashed the database engine; it was restarted"):
            connector.fetch("SELECT count(*) AS n FROM t", limit=10, timeout_s=10)
        after = _pids(connector)
        assert after and not after & before  # a fresh worker is already waiting
        got = connector.fetch("SELECT count(*) AS n FROM t", limit=10, timeout_s=10)
        assert got.table.to_pydict() == {"n": [5]}
        assert os.getpid() not in after
    finally:
        connector.dispose()
    assert not connector.workers()._idle


def test_a_query_that_ignores_its_interrupt_is_stopped_at_the_deadline(duck_path):
    connector = create_connector("duckdb", {"path": duck_path})
    try:
        connector.fetch("SELECT 1", limit=1, timeout_s=10)  # the worker is up: time only the query
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="restarted"):
            connector.fetch(STUCK, limit=1, timeout_s=1)
        assert time.monotonic() - started < 1 + GRACE_S + 2
        assert connector.fetch("SELECT 7 AS x", limit=1, timeout_s=10).table.to_pydict() == \
            {"x": [7]}
    finally:
        connector.dispose()


def test_sqlite_runs_in_a_read_only_worker_with_its_limits(tmp_path):
    path = tmp_path / "iso.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (id INTEGER)")
    con.execute("INSERT INTO t VALUES (1), (2)")
    con.commit()
    con.close()
    connector = create_connector("sqlite", {"path": str(path)}, max_result_bytes=MB)
    try:
        assert connector.fetch("SELECT count(*) AS n FROM t", limit=10,
                               timeout_s=10).table.to_pydict() == {"n": [2]}
        assert os.getpid() not in _pids(connector) and _pids(connector)
        with pytest.raises(Exception, match="(?i)read.?only|query_only|attempt to write"):
            connector.fetch("DELETE FROM t RETURNING id", limit=10, timeout_s=10)
        big = connector.fetch("SELECT length(printf('%.*c', 2000000, 'x')) AS n", limit=1,
                              timeout_s=10)  # SQLITE_LIMIT_LENGTH = the byte cap, in the worker
        assert big.table.to_pydict() == {"n": [None]}
    finally:
        connector.dispose()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (2,)


@pytest.mark.slow
def test_duckdb_wide_rows_leave_the_app_process_bounded(duck_path):
    """3,000 rows of 1 MB: DuckDB's own vectors live in the worker (capped); the app process
    stays under cap + 300 MB and gets either the byte-capped result or a clear memory error."""
    out = _measure("duckdb", duck_path, WIDE["duckdb"])
    assert out["peak_mb"] - out["base_mb"] < CAP / MB + 300, out
    if "error" in out:
        assert "OutOfMemory" in out["error"] and "more memory than" in out["error"], out
    else:
        assert out["truncated_by"] == "bytes" and out["bytes"] <= CAP + MB, out
    from olympus.connectors.worker import memory_ceiling

    assert out["worker_peak_mb"] < memory_ceiling(CAP) / MB, out


def test_two_sessions_one_crash_in_the_app(app, tmp_path):
    """Two AppTest sessions of one app process share the demo's pooled connector (and its
    workers). Guard-passing crashes are refused now (enable_logging is not an allowed table
    function), so the crash is planted below the guard on that shared connector; the queries
    themselves go through the Ask page of each session."""
    from olympus.ui import resources

    app("app.py")  # the first start builds the demo
    one, two = app("pages/3_Ask.py"), app("pages/3_Ask.py")
    count = "SELECT count(*) AS n FROM loans"

    def ask(at, sql: str) -> str:
        at.chat_input(key="ask:prompt").set_value(sql).run()
        no_traceback(at)
        return shown(at)

    ask(one, count + " WHERE 1 = 1")  # other text: the result cache must not answer `count`
    loans = one.metric[-1].value
    ws = resources.workspace()
    connector = ws.connector(ws.connections()[0].name)
    assert _pids(connector)  # the sessions' own pooled connector: its worker is idle
    connector.fetch(CRASH.format(dir=tmp_path), limit=1, timeout_s=10)
    assert "crashed the database engine; it was restarted" in ask(one, count)
    crash = ws.query_log(limit=1)[0]  # the crash is evidence: logged as this SQL's failure
    assert (crash.status, crash.source, crash.sql) == ("error", "sql", count), crash
    assert "crashed the database engine" in crash.error
    assert ask(two, count) and two.metric[-1].value == loans  # the other session keeps working
    ask(one, count)
    assert one.metric[-1].value == loans  # and the first runs again


def _engine_bytes(connector) -> int:
    with connector.native().cursor() as probe:  # its own cursor: the kept one is left as is
        return probe.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]


def test_a_workers_kept_cursor_frees_a_cut_result_between_queries(duck_path):
    """In a worker one cursor serves the next query; the last result it held (a sort cut at
    the row limit) is freed once the reply is sent, not when the next query comes."""
    connector = create_connector("duckdb", {"path": duck_path})
    connector.isolated, connector.solo = False, True
    try:
        connector.between_queries()
        got = connector.fetch("SELECT i, md5(i::varchar) AS h FROM range(3000000) t(i) "
                              "ORDER BY h", limit=5, timeout_s=30)
        assert got.truncated and got.table.num_rows == 5
        assert _engine_bytes(connector) > 50 * MB  # the sorted rows are still held
        connector.between_queries()
        assert _engine_bytes(connector) < 5 * MB
    finally:
        connector.dispose()


def test_a_workers_kept_cursor_survives_errors_and_timeouts(duck_path):
    connector = create_connector("duckdb", {"path": duck_path})
    connector.isolated, connector.solo = False, True
    try:
        with pytest.raises(Exception, match="nope"):
            connector.fetch("SELECT * FROM nope", limit=5, timeout_s=30)
        with pytest.raises(QueryTimeout):
            connector.fetch("SELECT count(*) FROM range(100000000000)", limit=5, timeout_s=0.5)
        assert connector.fetch("SELECT 7 AS x", limit=1, timeout_s=10).table.to_pydict() == \
            {"x": [7]}
        connector.between_queries()
        assert connector.fetch("SELECT count(*) AS n FROM t", limit=1,
                               timeout_s=10).table.to_pydict() == {"n": [5]}
    finally:
        connector.dispose()
