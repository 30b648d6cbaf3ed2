"""Cancel stops the query on the server, on every engine we can run here: the statement is gone
from the server's own list of running queries within 2 s, and the caller gets QueryCancelled."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from olympus.connectors import create_connector
from olympus.errors import QueryCancelled
from olympus.runner import QueryHandle

LONG_DUCKDB = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range <> b.range"
LONG_SQLITE = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT count(*) FROM c")


class Running:
    """One fetch on a thread, with its handle; `outcome` is what fetch returned or raised."""

    def __init__(self, connector, sql: str, *, limit: int | None = 10, timeout_s: float = 60):
        self.handle, self.outcome = QueryHandle(), None
        self.thread = threading.Thread(target=self._run, args=(connector, sql, limit, timeout_s),
                                       daemon=True)
        self.thread.start()

    def _run(self, connector, sql, limit, timeout_s) -> None:
        try:
            self.outcome = connector.fetch(sql, limit=limit, timeout_s=timeout_s,
                                           handle=self.handle)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            self.outcome = exc

    def cancel_and_wait(self, gone) -> float:
        """Cancel, then the seconds until `gone()` holds (the server no longer runs it)."""
        started = time.monotonic()
        self.handle.cancel()
        while not gone():
            assert time.monotonic() - started < 10, "still running 10 s after cancel"
            time.sleep(0.02)
        waited = time.monotonic() - started
        self.thread.join(10)
        assert not self.thread.is_alive()
        return waited


def _until(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the query never started"
        time.sleep(0.02)


def _cancelled(outcome) -> None:
    assert isinstance(outcome, QueryCancelled), repr(outcome)
    assert outcome.message == "Cancelled: the query was stopped on the server."


# ---- PostgreSQL: psycopg (small reads) and ADBC (big reads) ---------------------------------------
@pytest.mark.parametrize("limit", [10, None], ids=["psycopg", "adbc"])
def test_postgres_cancel_removes_the_statement_from_pg_stat_activity(pg_url, limit):
    connector = create_connector("postgresql", {"url": pg_url})
    watcher = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))

    def running() -> bool:
        with watcher.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")).scalar())
    try:
        # pg_sleep is deny-listed by the guard: fetch is the layer below it
        query = Running(connector, "SELECT pg_sleep(30)", limit=limit)
        _until(running)
        assert query.cancel_and_wait(lambda: not running()) < 2
        _cancelled(query.outcome)
        again = connector.fetch("SELECT 1 AS one", limit=limit, timeout_s=5)  # pool still fine
        assert again.table.to_pylist() == [{"one": 1}]
    finally:
        connector.dispose()
        watcher.dispose()


def test_cancel_before_the_query_starts_runs_nothing(pg_url):
    connector = create_connector("postgresql", {"url": pg_url})
    handle = QueryHandle()
    handle.cancel()
    try:
        with pytest.raises(QueryCancelled):
            connector.fetch("SELECT pg_sleep(30)", limit=10, timeout_s=60, handle=handle)
    finally:
        connector.dispose()


# ---- MySQL / MariaDB: KILL QUERY ------------------------------------------------------------------
def test_mysql_cancel_kills_the_query(mysql_server):
    connector = create_connector("mysql", {
        "host": mysql_server.host, "port": mysql_server.port, "database": mysql_server.database,
        "username": mysql_server.reader, "password": mysql_server.reader_password,
        "ssl": "disabled"})
    watcher = create_engine(mysql_server.admin_url)

    def running() -> bool:
        with watcher.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM information_schema.processlist "
                "WHERE info LIKE 'SELECT SLEEP(30)%'")).scalar())
    try:
        query = Running(connector, "SELECT SLEEP(30)")
        _until(running)
        assert query.cancel_and_wait(lambda: not running()) < 2
        _cancelled(query.outcome)
        assert connector.fetch("SELECT 1 AS one", limit=10, timeout_s=5).table.num_rows == 1
    finally:
        connector.dispose()
        watcher.dispose()


# ---- DuckDB and SQLite: the worker process is killed (and restarts); in-process: interrupt ------
@pytest.fixture()
def duckdb_file(tmp_path):
    import duckdb

    path = tmp_path / "cancel.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 1 AS one").close()
    return str(path)


@pytest.fixture()
def sqlite_file(tmp_path):
    path = tmp_path / "cancel.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS one")
    return str(path)


def _worker_cancel(connector, sql: str) -> None:
    with connector.workers().lease() as remote:  # start one worker, then give it back
        first = remote.worker
    query = Running(connector, sql)
    time.sleep(0.5)  # it is running in the worker by now
    assert first.alive()
    assert query.cancel_and_wait(lambda: not first.alive()) < 2
    _cancelled(query.outcome)
    again = connector.fetch("SELECT one FROM t", limit=10, timeout_s=10)  # a restarted worker
    assert again.table.to_pylist() == [{"one": 1}]


def test_duckdb_cancel_stops_its_worker(duckdb_file):
    connector = create_connector("duckdb", {"path": duckdb_file}, pool_size=1)
    try:
        _worker_cancel(connector, LONG_DUCKDB)
    finally:
        connector.dispose()


def test_sqlite_cancel_stops_its_worker(sqlite_file):
    connector = create_connector("sqlite", {"path": sqlite_file}, pool_size=1)
    try:
        _worker_cancel(connector, LONG_SQLITE)
    finally:
        connector.dispose()


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_in_process_engines_are_interrupted(kind, duckdb_file, sqlite_file):
    connector = create_connector(kind, {"path": duckdb_file if kind == "duckdb" else sqlite_file})
    connector.isolated = False
    try:
        query = Running(connector, LONG_DUCKDB if kind == "duckdb" else LONG_SQLITE)
        time.sleep(0.5)
        assert query.thread.is_alive()
        assert query.cancel_and_wait(lambda: not query.thread.is_alive()) < 2
        _cancelled(query.outcome)
        assert connector.fetch("SELECT one FROM t", limit=10, timeout_s=10).table.num_rows == 1
    finally:
        connector.dispose()


# ---- through the Workspace: logged and audited as cancelled --------------------------------------
def test_workspace_run_sql_cancel_is_logged_and_audited(tmp_path, duckdb_file):
    from olympus.crypto import generate_key
    from olympus.store import Store
    from olympus.workspace import Workspace
    from tests.store_helpers import make_settings

    settings = make_settings(tmp_path / "home", keys=(generate_key(),))
    store = Store.from_settings(settings)
    ws = Workspace(store, "alice", settings=settings)
    ws.add_connection("file", "duckdb", {"path": duckdb_file})
    handle, outcome = QueryHandle(), []

    def run() -> None:
        try:
            ws.run_sql("file", LONG_DUCKDB, handle=handle)
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    try:
        thread.start()
        time.sleep(1.0)
        started = time.monotonic()
        handle.cancel()
        thread.join(10)
        assert time.monotonic() - started < 2
        _cancelled(outcome[0])
        assert ws.query_log(limit=1)[0].status == "cancelled"
        row = next(e for e in ws.activity() if e.action == "query")
        assert (row.status, row.sql) == ("cancelled", LONG_DUCKDB)
        assert ws.run_sql("file", "SELECT one FROM t").row_count == 1
    finally:
        ws.close()
        store.dispose()
