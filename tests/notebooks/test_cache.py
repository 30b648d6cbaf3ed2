"""The embedded result cache: byte-bounded LRU, TTL, keys, and Workspace.run_sql serving hits
(never across spaces or to someone without a grant; refusals and failures never cached)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from olympus.errors import ConfigError, SQLSyntaxError, UnsafeSQL
from olympus.notebooks.cache import Entry, MemoryCache, cache_key, decode, encode
from olympus.runner import QueryResult
from olympus.store import NotFound, Store
from olympus.store_teams import Teams
from olympus.teams import Forbidden, principal_for
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# ---- the LRU ---------------------------------------------------------------------------------
def test_lru_is_bounded_by_bytes_and_drops_the_least_recently_used():
    cache = MemoryCache(350, max_entry_bytes=200)
    for key in "abc":
        assert cache.put(key, key.encode() * 100, ttl_s=60)
    assert cache.nbytes == 300 and len(cache) == 3
    assert cache.get("a", max_age_s=60).blob == b"a" * 100  # a is now the most recent
    assert cache.put("d", b"d" * 100, ttl_s=60)
    assert cache.nbytes <= 350
    assert cache.get("b", max_age_s=60) is None  # b was the least recently used
    assert [cache.get(k, max_age_s=60) is not None for k in "acd"] == [True, True, True]
    assert cache.put("e", b"e" * 150, ttl_s=60)  # a (least recent) makes room
    assert cache.nbytes == 350 and cache.get("a", max_age_s=60) is None
    assert cache.put("f", b"f" * 200, ttl_s=60)  # needs two entries' room: c and d go
    assert cache.nbytes == 350
    assert [cache.get(k, max_age_s=60) is not None for k in "cdef"] == [False, False, True, True]


def test_an_entry_over_the_per_entry_cap_is_not_kept():
    cache = MemoryCache(1000, max_entry_bytes=100)
    assert not cache.put("big", b"x" * 101, ttl_s=60)
    assert cache.get("big", max_age_s=60) is None and cache.nbytes == 0
    assert cache.put("fits", b"x" * 100, ttl_s=60)
    assert not cache.put("never", b"x", ttl_s=0)


def test_entries_expire_after_their_ttl_and_a_shorter_lifetime_applies_at_once():
    clock = Clock()
    cache = MemoryCache(1000, clock=clock)
    cache.put("k", b"v", ttl_s=600)
    clock.now += 599
    assert cache.get("k", max_age_s=600).blob == b"v"
    assert cache.get("k", max_age_s=300) is None  # the connection's lifetime was shortened
    cache.put("k", b"v", ttl_s=600)
    clock.now += 600
    assert cache.get("k", max_age_s=10_000) is None and cache.nbytes == 0


# ---- keys ------------------------------------------------------------------------------------
def _key(sql: str, **changes) -> str:
    facts = dict(space="s1", connection_id="c1", version="v1", sql=sql, dialect="duckdb",
                 params=None, limit=10_000, max_result_bytes=1 << 20)
    return cache_key(**{**facts, **changes})


def test_the_key_ignores_keyword_case_and_whitespace_but_not_meaning():
    base = _key("select id, name from t where x = 'a'")
    assert _key("SELECT id,\n       name\nFROM   t\nWHERE x = 'a'") == base
    assert _key("select id, name from t where x = 'A'") != base  # a literal is data
    assert _key("select id, name from t where x = 'a' limit 5") != base
    assert _key("select ID, name from t where x = 'a'") != base  # column names as written


def test_the_key_holds_space_connection_version_params_and_limits():
    base = _key("select ?", params=[1])
    assert _key("select ?", params=[2]) != base
    assert _key("select ?", params=["1"]) != base  # a number is not its text
    assert _key("select ?", params=[1.0]) != base
    assert _key("select ?", params=[dt.date(2024, 1, 1)]) != _key("select ?",
                                                                   params=["2024-01-01"])
    assert _key("select ?", params=[1]) == base
    for change in ({"space": "s2"}, {"connection_id": "c2"}, {"version": "v2"},
                   {"limit": 10}, {"max_result_bytes": 1}, {"dialect": "postgres"}):
        assert _key("select ?", params=[1], **change) != base, change


def test_a_result_survives_encoding_with_its_types():
    table = pa.table({"n": [1, None], "d": [dt.date(2024, 1, 31), None],
                      "at": pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc), None],
                                     pa.timestamp("us", tz="UTC")),
                      "amount": pa.array([Decimal("1.25"), None], pa.decimal128(10, 2)),
                      "s": ["x; DROP TABLE t", None]})
    result = QueryResult(columns=tuple(table.column_names),
                         types=tuple(str(t) for t in table.schema.types), arrow=table,
                         row_count=2, truncated=True, truncated_by="rows", sql="SELECT 1",
                         db_types=("INTEGER",) * 5, elapsed_ms=12.5, reads=("t.n", "t.s"))
    entry = Entry(encode(result, lineage="catalog@1"), 1_700_000_000.0)
    back = decode(entry, elapsed_ms=0.1, lineage="catalog@1")
    assert back.arrow.equals(table) and back.rows() == result.rows()
    assert (back.columns, back.types, back.truncated, back.truncated_by, back.db_types) == (
        result.columns, result.types, True, "rows", result.db_types)
    assert back.cached_at == dt.datetime.fromtimestamp(1_700_000_000, dt.timezone.utc)
    assert back.elapsed_ms == 0.1 and back.reads == ("t.n", "t.s")  # lineage kept
    assert decode(entry, elapsed_ms=0.1, lineage="catalog@2").reads == ()  # worked out again


# ---- through Workspace.run_sql -----------------------------------------------------------------
@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT range AS id, range * 10 AS amount FROM range(5)")
    con.close()
    return str(path)


def _local(tmp_path, shop, **env):
    settings = make_settings(tmp_path / "home", **env)
    store = Store.from_settings(settings)
    ws = Workspace(store, settings=settings)
    ws.add_connection("shop", "duckdb", {"path": shop}, test_first=False)
    return ws


@pytest.fixture
def ws(tmp_path, shop):
    made = _local(tmp_path, shop)
    yield made
    made.close()
    made.store.dispose()


def _grow(path: str) -> None:
    """Change the data behind the cache's back (another writer)."""
    con = duckdb.connect(path)
    con.execute("INSERT INTO orders VALUES (99, 990)")
    con.close()


def test_a_repeated_query_is_served_from_the_cache_until_refreshed(ws, shop):
    first = ws.run_sql("shop", "select count(*) as n from orders")
    assert first.cached_at is None and first.rows() == [[5]]
    ws.close()  # release DuckDB's file so another writer can change it
    _grow(shop)
    again = ws.run_sql("shop", "SELECT COUNT(*) AS n\n  FROM orders")
    assert again.cached_at is not None and again.rows() == [[5]]  # the cached answer
    assert again.sql == "SELECT COUNT(*) AS n\n  FROM orders"  # what this user ran
    fresh = ws.run_sql("shop", "select count(*) as n from orders", refresh=True)
    assert fresh.cached_at is None and fresh.rows() == [[6]]
    after = ws.run_sql("shop", "select count(*) as n from orders")
    assert after.cached_at is not None and after.rows() == [[6]]  # refresh stored the new one
    log = ws.store.query_log(ws.owner, limit=10)[::-1]
    assert [e.cached for e in log] == [None, True, None, True]
    assert all(e.status == "ok" and e.user == "local" for e in log)


def test_bound_parameters_are_part_of_the_key(ws):
    sql = "select id from orders where id >= {{low}} order by id"
    assert ws.run_sql("shop", sql, params={"low": 3}).rows() == [[3], [4]]
    other = ws.run_sql("shop", sql, params={"low": 4})
    assert other.cached_at is None and other.rows() == [[4]]
    hit = ws.run_sql("shop", sql, params={"low": 3})
    assert hit.cached_at is not None and hit.rows() == [[3], [4]]


def test_the_row_limit_is_part_of_the_key(ws):
    assert ws.run_sql("shop", "select id from orders", limit=2).row_count == 2
    whole = ws.run_sql("shop", "select id from orders")
    assert whole.cached_at is None and whole.row_count == 5


def test_an_edit_of_the_connection_invalidates_its_results(ws):
    ws.run_sql("shop", "select 1 as x")
    assert ws.run_sql("shop", "select 1 as x").cached_at is not None
    ws.allow_functions("shop", ["my_udf"])  # a new version of the connection
    assert ws.run_sql("shop", "select 1 as x").cached_at is None


def test_refusals_and_failures_are_never_cached(ws):
    for _ in range(2):
        with pytest.raises(UnsafeSQL):
            ws.run_sql("shop", "delete from orders")
        with pytest.raises(SQLSyntaxError):
            ws.run_sql("shop", "select nope from orders")
    assert len(ws.result_cache) == 0
    statuses = [(e.status, e.cached) for e in ws.store.query_log(ws.owner, limit=10)]
    assert statuses == [("error", None), ("refused", None)] * 2


def test_a_connection_lifetime_of_zero_never_caches_and_only_admins_set_it(ws):
    assert ws.set_cache_ttl("shop", 0).cache_ttl_s == 0
    ws.run_sql("shop", "select 2 as x")
    assert ws.run_sql("shop", "select 2 as x").cached_at is None
    assert ws.set_cache_ttl("shop", "default").cache_ttl_s is None
    ws.run_sql("shop", "select 2 as x")
    assert ws.run_sql("shop", "select 2 as x").cached_at is not None
    assert ws.cache_ttl(ws.get("shop")) == 600
    with pytest.raises(ConfigError, match="0 to"):
        ws.set_cache_ttl("shop", -5)
    with pytest.raises(ConfigError):
        ws.set_cache_ttl("shop", "soon")


def test_a_result_over_the_per_entry_cap_is_not_cached(tmp_path, shop):
    ws = _local(tmp_path, shop, OLYMPUS_CACHE_MAX_BYTES=80_000)  # per entry: 10,000 bytes
    sql = "select range as n, 'row ' || range as label from range(5000)"
    assert ws.run_sql("shop", sql).nbytes > 10_000
    assert ws.run_sql("shop", sql).cached_at is None and len(ws.result_cache) == 0
    ws.run_sql("shop", "select 1 as x")
    assert ws.run_sql("shop", "select 1 as x").cached_at is not None


def test_cache_url_off_turns_the_cache_off(tmp_path, shop):
    ws = _local(tmp_path, shop, OLYMPUS_CACHE_URL="off")
    ws.run_sql("shop", "select 1 as x")
    assert ws.result_cache is None and ws.run_sql("shop", "select 1 as x").cached_at is None
    with pytest.raises(ConfigError, match="OLYMPUS_CACHE_URL"):
        _local(tmp_path / "other", shop, OLYMPUS_CACHE_URL="memcached://x")


# ---- who may be served -------------------------------------------------------------------------
@pytest.fixture
def team(tmp_path, shop):
    settings = make_settings(tmp_path / "team", OLYMPUS_AUTH="oidc",
                             OLYMPUS_ADMINS="boss@example.com")
    store = Store.from_settings(settings)
    admin = Workspace(store, settings=settings,
                      principal=principal_for(store, settings, "boss@example.com"))
    admin.add_connection("shop", "duckdb", {"path": shop}, test_first=False,
                         require_read_only_role=False)
    for email in ("ed@example.com", "eve@example.com"):
        admin.set_member(email, "editor")

    def as_(email: str, space: str | None = None) -> Workspace:
        # one process: every Workspace shares the admin's embedded cache
        return Workspace(store, settings=settings, shared=admin.shared,
                         principal=principal_for(store, settings, email, space))

    yield admin, as_, store, settings
    store.dispose()


SQL = "select sum(amount) as total from orders"


def test_members_who_see_a_connection_share_its_cached_results(team):
    admin, as_, _, _ = team
    assert admin.run_sql("shop", SQL).cached_at is None
    hit = as_("ed@example.com").run_sql("shop", SQL)
    assert hit.cached_at is not None and hit.rows() == [[100]]


def test_someone_without_a_grant_is_never_served_a_cached_result(team):
    admin, as_, store, settings = team
    admin.grant("shop", users=["ed@example.com"])
    ed, eve = as_("ed@example.com"), as_("eve@example.com")
    ed.run_sql("shop", SQL)
    assert ed.run_sql("shop", SQL).cached_at is not None
    with pytest.raises(NotFound):
        eve.run_sql("shop", SQL)
    assert not [e for e in store.query_log(settings.owner, limit=50)
                if e.user == "eve@example.com" and e.status == "ok"]
    admin.set_member("ed@example.com", "viewer")  # a viewer may not query, cache or not
    with pytest.raises(Forbidden):
        as_("ed@example.com").run_sql("shop", SQL)


def test_a_cached_result_never_crosses_spaces(team, shop):
    admin, as_, store, settings = team
    admin.run_sql("shop", SQL)
    finance = Teams(store).create_space("Finance")
    Teams(store).set_member(finance, "ed@example.com", "admin")
    in_finance = as_("ed@example.com", finance)
    in_finance.add_connection("shop", "duckdb", {"path": shop}, test_first=False,
                              require_read_only_role=False)
    assert in_finance.run_sql("shop", SQL).cached_at is None  # same name, file, SQL: a miss
    assert in_finance.run_sql("shop", SQL).cached_at is not None
    assert admin.run_sql("shop", SQL).cached_at is not None
