"""Shared rate limits: per user and per connection, counted once in the store (SQLite and real
PostgreSQL) or in a real Redis, across several processes; wired into Workspace.run_sql."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from olympus.crypto import generate_key
from olympus.errors import RateLimited
from olympus.limits import Limits, RedisCounter, StoreCounter
from olympus.store import Store
from olympus.store_db import rate_counts
from olympus.teams import Principal
from olympus.workspace import Shared, Workspace
from tests.services import ROOT
from tests.store_helpers import make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def store(store_url, tmp_path):
    opened = Store(store_url, settings=make_settings(tmp_path, keys=(generate_key(),)))
    yield opened
    opened.dispose()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _limits(counter, clock, *, per_user=3, per_connection=5) -> Limits:
    return Limits(counter, per_user=per_user, per_connection=per_connection, clock=clock)


def _contract(counter) -> None:
    """What every counter must give: which limit, when to retry, a fresh window admits again."""
    clock = Clock(60 * 29_000_000 + 20.0)  # 20 s into a window
    limits = _limits(counter, clock)
    for _ in range(3):
        limits.acquire("ann@x.io", "c1")
    with pytest.raises(RateLimited) as refused:
        limits.acquire("ann@x.io", "c1")
    assert refused.value.limit == "user" and refused.value.retry_after_s == 40
    assert "your limit" in refused.value.message and "40 s" in refused.value.suggestion
    limits.acquire("bob@x.io", "c1")
    limits.acquire("bob@x.io", "c1")  # connection c1: 3 (ann) + 2 (bob) = 5, its limit
    clock.now += 15
    with pytest.raises(RateLimited) as full:
        limits.acquire("cy@x.io", "c1")
    assert full.value.limit == "connection" and full.value.retry_after_s == 25
    assert "This connection" in full.value.message
    limits.acquire("cy@x.io", "c2")  # cy's refused query gave back cy's own budget
    limits.acquire("cy@x.io", "c2")
    limits.acquire("cy@x.io", "c2")
    with pytest.raises(RateLimited):
        limits.acquire("cy@x.io", "c2")
    clock.now += 30  # the next minute
    limits.acquire("ann@x.io", "c1")


def test_store_counter(store):
    _contract(StoreCounter(store.engine))


def test_store_counter_forgets_old_windows(store):
    counter = StoreCounter(store.engine)
    with store._write() as conn:
        conn.execute(rate_counts.insert().values(key="user:old", window=10, count=7))
    assert counter.incr("user:new", 1000) == 1
    assert counter.incr("user:new", 1000) == 2
    with store._read() as conn:
        rows = conn.execute(sa.select(rate_counts.c.key, rate_counts.c.count)).all()
    assert [tuple(r) for r in rows] == [("user:new", 2)]


def test_redis_counter(redis_url):
    counter = RedisCounter(redis_url, prefix=f"t{time.monotonic_ns()}:")
    _contract(counter)
    counter.incr("user:ttl", 5)
    assert 0 < counter.client.ttl(f"{counter.prefix}user:ttl:5") <= 120


def test_redis_down_is_a_clear_error(tmp_path):
    from olympus.errors import ConfigError
    from tests.services import free_port

    counter = RedisCounter(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigError, match="Redis"):
        _limits(counter, time.time).acquire("ann@x.io", "c1")


WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from olympus.errors import RateLimited
    from olympus.limits import Limits, RedisCounter, StoreCounter
    from olympus.store_db import make_engine
    url, tries, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    counter = RedisCounter(url, prefix=sys.argv[4]) if url.startswith("redis") else \\
        StoreCounter(make_engine(url))
    limits = Limits(counter, per_user=1000, per_connection=int(sys.argv[5]), clock=lambda: 6e9)
    while time.time() < start:
        time.sleep(0.005)
    ok = 0
    for _ in range(tries):
        try:
            limits.acquire("u" + str(time.monotonic_ns() % 7), "shared-conn")
            ok += 1
        except RateLimited:
            pass
    print(ok)
""").format(root=str(ROOT))


def _race(url: str, *, processes: int = 4, tries: int = 15, most: int = 23,
          prefix: str = "race:") -> list[int]:
    """Several processes hit one connection's limit at once; how many each was admitted."""
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(tries), str(start), prefix,
                               str(most)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(processes)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-800:] for o in outs]
    return [int(o[0].strip()) for o in outs]


def test_processes_share_one_limit_in_the_store(store, store_url):
    admitted = _race(store_url)
    assert sum(admitted) == 23 and len([a for a in admitted if a]) >= 2, admitted


def test_processes_share_one_limit_in_redis(redis_url):
    admitted = _race(redis_url, prefix=f"race{time.monotonic_ns()}:")
    assert sum(admitted) == 23, admitted


# ---- Workspace ----------------------------------------------------------------------------------
def _fresh_minute(room_s: float = 20.0) -> None:
    """Wait for the next wall-clock minute when less than `room_s` is left of this one: the
    limits count in fixed one-minute windows, so a test that crossed one saw its count reset."""
    left = 60 - time.time() % 60
    if left < room_s:
        time.sleep(left + 0.05)


def test_workspace_counts_per_user_across_replicas(tmp_path, store_url):
    """Two Shared objects = two replicas on one store: the user's 3 per minute count once."""
    settings = make_settings(tmp_path, keys=(generate_key(),), OLYMPUS_USER_RATE_LIMIT=3,
                             OLYMPUS_RATE_LIMIT=4)
    store = Store(store_url, settings=settings)
    db = tmp_path / "data.duckdb"
    import duckdb

    duckdb.connect(str(db)).close()
    admin = Workspace(store, "team", settings=settings)
    admin.add_connection("d", "duckdb", {"path": str(db)})
    replicas = [Shared(store, settings), Shared(store, settings)]

    def as_user(user: str, replica: int) -> Workspace:
        return Workspace(store, settings=settings, shared=replicas[replica],
                         principal=Principal(user, "team", "editor"))

    ann_a, ann_b, bob_b = as_user("ann@x.io", 0), as_user("ann@x.io", 1), as_user("bob@x.io", 1)
    _fresh_minute()  # the six queries fall in one of the limits' one-minute windows
    ann_a.run_sql("d", "select 1"), ann_b.run_sql("d", "select 2"), ann_a.run_sql("d", "select 3")
    with pytest.raises(RateLimited, match="your limit"):
        ann_b.run_sql("d", "select 4")
    bob_b.run_sql("d", "select 5")  # bob has his own budget; the connection's 4th query
    with pytest.raises(RateLimited, match="This connection"):
        bob_b.run_sql("d", "select 6")
    refused = admin.activity(action="query", status="refused")
    assert [(e.user, e.sql) for e in refused] == [("bob@x.io", "select 6"),
                                                  ("ann@x.io", "select 4")]
    assert "This connection" in refused[0].detail and "your limit" in refused[1].detail
    for ws in (admin, ann_a, ann_b, bob_b):
        ws.close()
    store.dispose()


def test_redis_url_moves_the_count_to_redis(tmp_path, redis_url, monkeypatch):
    """With OLYMPUS_REDIS_URL set, two replicas' Shared limits count in Redis, not the store."""
    monkeypatch.setenv("OLYMPUS_REDIS_URL", redis_url)
    settings = make_settings(tmp_path, keys=(generate_key(),), OLYMPUS_USER_RATE_LIMIT=2)
    store = Store.from_settings(settings)
    first, second = Shared(store, settings).limits, Shared(store, settings).limits
    assert isinstance(first.counter, RedisCounter)
    user = f"u{time.monotonic_ns()}@x.io"
    first.acquire(user, "c1"), second.acquire(user, "c2")
    with pytest.raises(RateLimited, match="your limit"):
        first.acquire(user, "c3")
    with store._read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rate_counts)).scalar() == 0
    store.dispose()
