"""What makes a warm query cheap must not make it less safe (issue 11): the guard remembers only
what passed, and only against the same policy; the timeout watchdog fires and cancels; a pooled
connection that died while idle is replaced, not handed to the next query."""

from __future__ import annotations

import time
from dataclasses import replace

import psycopg
import pytest

from olympus import guard
from olympus.connectors import create_connector, sql_policy
from olympus.connectors.watchdog import Watchdog
from olympus.errors import UnsafeSQL


def test_a_refusal_is_never_remembered_and_a_pass_only_under_its_own_policy():
    calls = []
    real = guard._check_sql

    def counting(sql, dialect, *, policy=None):
        calls.append(sql)
        return real(sql, dialect, policy=policy)
    guard._check_sql, guard._PASSED = counting, type(guard._PASSED)(guard.MEMO_ENTRIES)
    try:
        for _ in range(3):
            with pytest.raises(UnsafeSQL):
                guard.check_sql("DELETE FROM t", "postgres")
        assert calls.count("DELETE FROM t") == 3  # checked every time
        lenient = sql_policy("postgres")
        sql = "SELECT my_func(1)"
        lenient = replace(lenient, admin_allowed=frozenset({"my_func"}))
        assert guard.check_sql(sql, "postgres", policy=lenient) == sql
        assert guard.check_sql(sql, "postgres", policy=lenient) == sql
        assert calls.count(sql) == 1  # remembered under that policy object
        strict = replace(lenient, admin_allowed=frozenset())  # an admin took it back
        with pytest.raises(UnsafeSQL, match="my_func"):
            guard.check_sql(sql, "postgres", policy=strict)
    finally:
        guard._check_sql = real


def test_the_memo_is_bounded():
    memo = type(guard._PASSED)(4)
    for i in range(10):
        memo.get(i, lambda i=i: i)
    assert len(memo._items) == 4 and memo.get(9, lambda: "rebuilt") == 9


def test_the_watchdog_fires_due_callbacks_in_order_and_cancelled_ones_never():
    dog, fired = Watchdog(), []
    dog.arm(0.30, lambda: fired.append("late"))
    cancel = dog.arm(0.10, lambda: fired.append("cancelled"))
    dog.arm(0.05, lambda: fired.append("early"))
    cancel()
    assert len(dog._heap) == 2  # a cancelled deadline holds nothing (not even its cursor)
    time.sleep(0.6)
    assert fired == ["early", "late"] and dog._heap == []


def test_the_watchdog_fires_on_time_past_and_within_its_look_interval(monkeypatch):
    """The thread sleeps up to LOOK_S without being woken for a later deadline; an earlier one
    armed meanwhile still wakes it (a sub-second timeout is kept)."""
    from olympus.connectors import watchdog

    monkeypatch.setattr(watchdog, "LOOK_S", 0.3)
    dog, fired, start = Watchdog(), {}, time.monotonic()
    dog.arm(0.75, lambda: fired.setdefault("far", time.monotonic() - start))
    time.sleep(0.05)  # the thread now waits until its next look
    dog.arm(0.05, lambda: fired.setdefault("near", time.monotonic() - start))
    time.sleep(1.0)
    assert 0.08 <= fired["near"] < 0.25, fired
    assert 0.74 <= fired["far"] < 0.95, fired


def test_a_duckdb_query_past_its_timeout_is_interrupted(tmp_path):
    import duckdb

    from olympus.errors import QueryTimeout

    path = tmp_path / "t.duckdb"
    duckdb.connect(str(path)).close()
    connector = create_connector("duckdb", {"path": str(path)})
    connector.isolated = False  # the in-process path: the watchdog interrupts the cursor
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        connector.fetch("SELECT count(*) FROM range(100000000000) a", limit=10, timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert connector.fetch("SELECT 42 AS x", limit=10, timeout_s=5).table.to_pylist() == [{"x": 42}]


def test_a_pooled_connection_killed_while_idle_is_replaced(pg_url):
    connector = create_connector("postgresql", {"url": pg_url}, pool_size=1, max_overflow=0)
    try:
        first = connector.fetch("SELECT pg_backend_pid() AS pid", limit=10, timeout_s=5)
        pid = first.table.to_pylist()[0]["pid"]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(1.2)  # idle past IDLE_PING_S: the checkout pings, finds it dead, reconnects
        again = connector.fetch("SELECT pg_backend_pid() AS pid", limit=10, timeout_s=5)
        assert again.table.to_pylist()[0]["pid"] != pid
    finally:
        connector.dispose()


def test_a_catalog_store_miss_is_believed_only_for_recheck_s_and_a_put_ends_it():
    from olympus.catalog import CacheKey, Catalog, CatalogCache

    now, loads = [1000.0], []
    stored: dict = {}

    def load(key):
        loads.append(key)
        return stored.get(key)
    cache = CatalogCache(load=load, clock=lambda: now[0])
    key = CacheKey("space", "conn", "v1")
    assert cache.peek(key, recheck_s=30) is None and cache.peek(key, recheck_s=30) is None
    assert len(loads) == 1  # the hot path read the store once
    assert cache.peek(key) is None and len(loads) == 2  # other callers always look
    stored[key] = Catalog((), "2026-12-01T00:00:00+00:00")  # another replica introspected
    now[0] += 31
    assert cache.peek(key, recheck_s=30) is not None and len(loads) == 3
    other = CacheKey("space", "conn2", "v1")
    assert cache.peek(other, recheck_s=30) is None
    cache.put(other, Catalog((), "2026-12-01T00:00:00+00:00"))  # introspected here
    assert cache.peek(other, recheck_s=30) is not None


def test_a_remembered_connection_record_is_never_stale_nor_shared(tmp_path):
    """Store.get remembers a decoded record per stored row: an edit (a new row) is seen at
    once, and what one caller changes in its record never reaches the next."""
    from olympus.store import Store
    from tests.store_helpers import make_settings

    store = Store.from_settings(make_settings(tmp_path))
    store.add("o", "db", "postgresql", {"host": "h1", "database": "d", "username": "u"})
    first = store.get("o", "db")
    first.params["host"] = "tampered"
    assert store.get("o", "db").params["host"] == "h1"
    store.update("o", "db", params={"host": "h2", "database": "d", "username": "u"})
    assert store.get("o", "db").params["host"] == "h2"
    store.update("o", "db", name="db2")
    assert store.get("o", "db2").name == "db2"
    with pytest.raises(Exception, match="db"):
        store.get("o", "db")
