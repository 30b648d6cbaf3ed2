"""The store's lane (olympus.store_lane): the record read and rate-limit count every query makes
reuse a kept SQLite connection, yet it never serves a stale row (another process's edit is seen
at once), a failed statement's connection is not kept, and dispose() closes what it kept."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from olympus.limits import StoreCounter
from olympus.store import Store
from olympus.store_fast import FastStatement
from olympus.store_lane import KEEP, lane
from tests.store_helpers import REPO, clean_env, make_settings


def test_a_kept_connection_sees_another_processs_edit_at_once(tmp_path):
    store = Store.from_settings(make_settings(tmp_path))
    store.add("local", "db", "postgresql", {"host": "h1", "database": "d", "username": "u"})
    assert store.get("local", "db").params["host"] == "h1"
    kept = lane(store.engine)
    assert len(kept._kept) == 1  # the read's connection waits for the next one
    for host in ("h2", "h3"):
        script = textwrap.dedent(f"""
            from olympus.config import Settings
            from olympus.store import Store
            store = Store.from_settings(Settings.from_env())
            store.update("local", "db", params={{"host": {host!r}, "database": "d",
                                                 "username": "u"}})
            store.dispose()""")
        subprocess.run([sys.executable, "-c", script], env=clean_env(tmp_path), cwd=REPO,
                       check=True, timeout=120, capture_output=True)
        assert store.get("local", "db").params["host"] == host
    store.dispose()


def test_counts_through_the_lane_stay_exact_and_share_its_connection(tmp_path):
    store = Store.from_settings(make_settings(tmp_path))
    counter = StoreCounter(store.engine)
    assert [counter.incr_many(["user:a", "conn:b"], 7) for _ in range(3)] == \
        [[1, 1], [2, 2], [3, 3]]
    kept = lane(store.engine)
    assert 1 <= len(kept._kept) <= KEEP
    store.dispose()


def test_a_failed_statement_leaves_its_connection_out_and_dispose_closes_the_rest(tmp_path):
    store = Store.from_settings(make_settings(tmp_path))
    kept = lane(store.engine)
    FastStatement(sa.text("SELECT 1 AS one")).rows(store.engine, {})
    assert len(kept._kept) == 1
    bad = FastStatement(sa.text("SELECT * FROM no_such_table"))
    with pytest.raises(sqlite3.OperationalError):
        bad.rows(store.engine, {})
    assert kept._kept == []  # it was the one used, and it went back to the pool instead
    FastStatement(sa.text("SELECT 1 AS one")).rows(store.engine, {})
    raw = kept._kept[0].dbapi_connection
    store.dispose()
    assert kept._kept == []
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        raw.execute("SELECT 1")
    # the store is still usable after dispose (a new pool, a new lane generation)
    assert FastStatement(sa.text("SELECT 2 AS two")).rows(store.engine, {})[0][0] == 2
    store.dispose()


def test_a_server_store_keeps_its_pool(pg_url):
    from olympus.store_db import make_engine

    engine = make_engine(pg_url)
    try:
        assert lane(engine) is None
    finally:
        engine.dispose()


def test_a_process_that_exits_with_a_kept_connection_leaves_no_wal_behind(tmp_path):
    """The kept connection closes at exit like the pool's: the last one to close checkpoints
    the WAL into the store file and removes it (a later process finds the file as it was)."""
    store = Store.from_settings(make_settings(tmp_path))
    store.add("local", "db", "postgresql", {"host": "h1", "database": "d", "username": "u"})
    store.dispose()
    script = textwrap.dedent("""
        from olympus.config import Settings
        from olympus.store import Store
        from olympus.store_lane import lane
        store = Store.from_settings(Settings.from_env())
        store.get("local", "db")
        assert lane(store.engine)._kept  # still kept when the process ends""")
    subprocess.run([sys.executable, "-c", script], env=clean_env(tmp_path), cwd=REPO,
                   check=True, timeout=120, capture_output=True)
    assert not (tmp_path / "olympus.db-wal").exists()
