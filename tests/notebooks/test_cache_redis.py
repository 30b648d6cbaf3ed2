"""The result cache in a real Redis (OLYMPUS_CACHE_URL): SET with EX under a prefix, shared by
separate OS processes, and a Redis that stops answering never breaks a query."""

from __future__ import annotations

import logging
import os

import duckdb
import pytest
import redis

from olympus.notebooks.cache_redis import PREFIX, RedisCache
from olympus.store import Store
from olympus.workspace import Workspace
from tests.services import RedisServer, free_port
from tests.store_helpers import clean_env, cli, make_settings


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT range AS id, range * 10 AS amount FROM range(5)")
    con.close()
    return str(path)


def _workspace(home, shop, url: str) -> Workspace:
    settings = make_settings(home, OLYMPUS_CACHE_URL=url)
    ws = Workspace(Store.from_settings(settings), settings=settings)
    if not ws.store.list_connections(ws.owner):
        ws.add_connection("shop", "duckdb", {"path": shop}, test_first=False)
    return ws


def test_entries_are_set_with_expiry_under_the_prefix(redis_url):
    client = redis.Redis.from_url(redis_url)
    cache = RedisCache(redis_url, max_entry_bytes=1000, prefix="olympus-test:")
    assert cache.put("k1", b"payload", ttl_s=120)
    assert 0 < client.ttl("olympus-test:k1") <= 120
    entry = cache.get("k1", max_age_s=120)
    assert entry.blob == b"payload" and entry.stored_at > 0
    assert cache.get("k1", max_age_s=0) is None  # older than a lifetime shortened since
    assert not cache.put("big", b"x" * 1001, ttl_s=120) and client.get("olympus-test:big") is None
    assert not cache.put("never", b"x", ttl_s=0)
    cache.clear()
    assert client.keys("olympus-test:*") == []


def test_two_replicas_share_one_redis_cache(tmp_path, shop, redis_url):
    one = _workspace(tmp_path / "home", shop, redis_url)
    two = _workspace(tmp_path / "home", shop, redis_url)  # its own Shared: another replica
    assert one.shared is not two.shared
    sql = "select sum(amount) as total from orders"
    assert one.run_sql("shop", sql, refresh=True).cached_at is None
    hit = two.run_sql("shop", sql)
    assert hit.cached_at is not None and hit.rows() == [[100]]
    assert redis.Redis.from_url(redis_url).keys(PREFIX + "*")


def test_two_processes_share_the_cache_through_redis(tmp_path, shop, redis_url):
    home = tmp_path / "cli"
    ws = _workspace(home, shop, redis_url)  # the shared store, and its local key file
    ws.store.dispose()
    env = clean_env(home, OLYMPUS_CACHE_URL=redis_url,
                    OLYMPUS_DATA_DIR=os.environ.get("OLYMPUS_DATA_DIR", str(tmp_path)))
    sql = f"select count(*) as n, '{tmp_path.name}' as run from orders"  # new in this run
    first = cli(home, "sql", "shop", sql, "--format", "csv", env=env)
    assert first.returncode == 0, first.stderr
    assert "from cache" not in first.stderr
    second = cli(home, "sql", "shop", sql, "--format", "csv", env=env)
    assert second.returncode == 0, second.stderr
    assert "from cache, just now" in second.stderr and second.stdout == first.stdout
    store = Store.from_settings(make_settings(home))
    log = store.query_log(ws.owner, limit=2)[::-1]
    assert [(e.status, e.cached, e.source) for e in log] == [("ok", None, "sql"),
                                                             ("ok", True, "sql")]
    store.dispose()


def test_redis_down_is_a_warning_and_the_query_still_runs(tmp_path, shop, caplog):
    server = RedisServer()
    try:
        server.start()
    except Exception as exc:  # pragma: no cover - the redis_url fixture fails the same way
        from tests.services import unavailable

        unavailable("Redis", repr(exc))
    ws = _workspace(tmp_path / "home", shop, server.url)
    sql = "select count(*) as n from orders"
    try:
        ws.run_sql("shop", sql)
        assert ws.run_sql("shop", sql).cached_at is not None  # working
    finally:
        server.stop()
    with caplog.at_level(logging.WARNING, logger="olympus.notebooks.cache_redis"):
        after = ws.run_sql("shop", sql)
        again = ws.run_sql("shop", sql)
    assert after.rows() == again.rows() == [[5]] and after.cached_at is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "did not answer" in warnings[0]  # once, not every query
    assert "OLYMPUS_CACHE_URL" in warnings[0]


def test_a_redis_that_never_answered_doesnt_stop_queries(tmp_path, shop, caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    ws = _workspace(tmp_path / "home", shop, url)
    with caplog.at_level(logging.WARNING, logger="olympus.notebooks.cache_redis"):
        assert ws.run_sql("shop", "select 7 as x").rows() == [[7]]
    assert any("did not answer" in r.getMessage() for r in caplog.records)
    assert ws.store.query_log(ws.owner, limit=1)[0].status == "ok"
