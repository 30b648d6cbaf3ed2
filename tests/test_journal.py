"""The bookkeeping written behind each query (olympus.journal): a query waits for none of it,
yet nothing is lost: readers see every row, a bad row never takes others with it, a full queue
makes the caller wait, and a process that exits right after a query still leaves its rows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone

import sqlalchemy as sa

from olympus.journal import Journal
from olympus.store import Store
from olympus.store_db import query_log
from olympus.workspace import Workspace
from tests.store_helpers import REPO, clean_env, make_settings


def _rows(store: Store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(query_log.c.sql, query_log.c.status)
                            .order_by(query_log.c.id)).all()


def _row(sql: str) -> dict:
    return {"owner": "o", "sql": sql, "status": "ok", "created_at": datetime.now(timezone.utc)}


def _demo_ws(tmp_path) -> Workspace:
    settings = make_settings(tmp_path)
    ws = Workspace(Store.from_settings(settings), settings=settings)
    ws.ensure_demo()
    return ws


def test_every_query_is_in_the_log_and_the_audit_once_flushed(tmp_path):
    ws = _demo_ws(tmp_path)
    name = ws.connections()[0].name
    for i in range(40):
        ws.run_sql(name, f"SELECT {i} AS n")
    logged = ws.query_log(limit=100)  # the facade flushes before it reads
    assert sorted(e.sql for e in logged if e.sql.startswith("SELECT ") and " AS n" in e.sql) \
        == sorted(f"SELECT {i} AS n" for i in range(40))
    audited = [e for e in ws.activity(action="query") if " AS n" in (e.sql or "")]
    assert len(audited) == 40 and {e.status for e in audited} == {"ok"}


def test_a_refused_query_is_logged_too(tmp_path):
    ws = _demo_ws(tmp_path)
    name = ws.connections()[0].name
    try:
        ws.run_sql(name, "DELETE FROM loans")
    except Exception:
        pass
    ws.store.flush()
    assert ("DELETE FROM loans", "refused") in _rows(ws.store)


def _log_rows(conn, rows: list) -> None:
    conn.execute(query_log.insert(), rows)


def _bad(conn, rows: list) -> None:
    conn.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))


def test_a_bad_row_never_takes_the_others_with_it(tmp_path):
    store = Store.from_settings(make_settings(tmp_path))
    journal = Journal(store.engine, {"log": _log_rows, "bad": _bad})
    journal.submit("log", _row("SELECT 0"))
    journal.submit("bad", {})
    journal.submit("log", _row("SELECT 1"))
    journal.submit("log", _row("SELECT 2"))
    assert journal.flush(timeout_s=30)
    assert [r.sql for r in _rows(store)] == ["SELECT 0", "SELECT 1", "SELECT 2"]


def test_a_full_queue_makes_the_caller_wait_and_drops_nothing(tmp_path):
    store = Store.from_settings(make_settings(tmp_path))
    gate = threading.Event()

    def slow(conn, rows: list) -> None:
        gate.wait(10)
        _log_rows(conn, rows)
    journal = Journal(store.engine, {"log": slow}, max_pending=1)
    journal.submit("log", _row("SELECT 0"))
    time.sleep(0.2)  # the writer holds the first; the queue (1 slot) takes the second
    journal.submit("log", _row("SELECT 1"))
    blocked = threading.Thread(target=journal.submit, args=("log", _row("SELECT 2")))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # the third waits for room: backpressure, not loss
    gate.set()
    blocked.join(10)
    assert journal.flush(timeout_s=30)
    assert sorted(r.sql for r in _rows(store)) == ["SELECT 0", "SELECT 1", "SELECT 2"]


def test_a_process_that_exits_right_after_its_query_leaves_its_rows(tmp_path):
    script = textwrap.dedent("""
        from olympus.config import Settings
        from olympus.store import Store
        from olympus.workspace import Workspace
        settings = Settings.from_env()
        ws = Workspace(Store.from_settings(settings), settings=settings)
        ws.ensure_demo()
        name = ws.connections()[0].name
        for i in range(25):
            ws.run_sql(name, f"SELECT {i} AS last_words")
        # no flush: the exit handler writes what is still queued
    """)
    subprocess.run([sys.executable, "-c", script], env=clean_env(tmp_path), cwd=REPO,
                   check=True, timeout=300, capture_output=True)
    store = Store.from_settings(make_settings(tmp_path))
    assert len([r for r in _rows(store) if "last_words" in r.sql]) == 25


def test_the_fast_insert_writes_rows_of_different_shapes_with_their_types(tmp_path, pg_url):
    """FastInsert (the journal's executemany on the DBAPI connection) on SQLite and PostgreSQL:
    rows with different columns in one batch each land whole; times come back as times."""
    from olympus.store_db import make_engine, migrate
    from olympus.store_fast import FastInsert

    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    rows = [{**_row("SELECT 1"), "created_at": at}, {**_row("SELECT 2"), "question": "why?",
                                                      "cached": True, "created_at": at}]
    for url in (f"sqlite:///{tmp_path / 'fast.db'}", pg_url):
        engine = make_engine(url)
        migrate(engine)
        with engine.begin() as conn:
            FastInsert(query_log).execute(conn, rows)
        with engine.connect() as conn:
            got = conn.execute(sa.select(query_log.c.sql, query_log.c.question,
                                         query_log.c.cached, query_log.c.created_at)
                               .order_by(query_log.c.id)).all()
        engine.dispose()
        assert [(g.sql, g.question, g.cached) for g in got] == \
            [("SELECT 1", None, None), ("SELECT 2", "why?", True)], url
        assert all(g.created_at.replace(tzinfo=timezone.utc) == at for g in got), got


def test_many_rows_land_whole_and_in_order_across_statements_and_chunks(tmp_path):
    """More rows than one multi-row INSERT binds (MAX_VARIABLES) and than a journal chunk: every
    row lands, in submission order."""
    from olympus.journal import CHUNK
    from olympus.store_fast import MAX_VARIABLES, FastInsert

    store = Store.from_settings(make_settings(tmp_path))
    count = max(3 * CHUNK, MAX_VARIABLES // 4 + 7)
    journal = Journal(store.engine, {"log": FastInsert(query_log).execute})
    journal.submit_all([("log", _row(f"SELECT {i}")) for i in range(count)])
    assert journal.flush(timeout_s=30)
    assert [r.sql for r in _rows(store)] == [f"SELECT {i}" for i in range(count)]


def test_between_chunks_the_journal_lets_a_waiting_writer_in(tmp_path):
    """A query's rate-limit count waits for one chunk's transaction, not the whole batch."""
    from olympus.journal import CHUNK
    from olympus.store_fast import write_lock

    store = Store.from_settings(make_settings(tmp_path))
    turns, order, started = write_lock(store.engine), [], threading.Event()

    def slow(conn, rows: list) -> None:
        started.set()
        time.sleep(0.2)
        order.append(f"chunk of {len(rows)}")
        _log_rows(conn, rows)

    def count() -> None:
        started.wait(10)
        with turns:
            order.append("count")
    journal = Journal(store.engine, {"log": slow})
    waiter = threading.Thread(target=count)
    waiter.start()
    journal.submit_all([("log", _row(f"SELECT {i}")) for i in range(3 * CHUNK)])
    assert journal.flush(timeout_s=30)
    waiter.join(10)
    assert order == [f"chunk of {CHUNK}", "count", f"chunk of {CHUNK}", f"chunk of {CHUNK}"]
    assert len(_rows(store)) == 3 * CHUNK
