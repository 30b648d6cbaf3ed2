"""The performance dashboard's figures on real stores (SQLite, PostgreSQL): real queries through
Workspace.run_sql, then every figure recomputed directly from the query-log rows with numpy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import duckdb
import numpy as np
import pytest
import sqlalchemy as sa

from olympus.crypto import generate_key
from olympus.errors import OlympusError
from olympus.store import Store
from olympus.store_db import query_log
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


@pytest.fixture()
def store(any_store):
    """SQLite and a real PostgreSQL store (tests/conftest.py)."""
    return any_store


@pytest.fixture()
def team(store, tmp_path):
    """Two DuckDB connections in space 'team' with real successes, errors and refusals."""
    admin = Workspace(store, settings=store.settings, principal=Principal("ann@x.io", "team",
                                                                          "admin"))
    for name in ("shop", "ledger"):
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as conn:
            conn.execute("create table t as select range as id from range(50)")
        admin.add_connection(name, "duckdb", {"path": str(path)})
    bob = Workspace(store, settings=store.settings, principal=Principal("bob@x.io", "team",
                                                                        "editor"))
    for ws, name, sql in [(admin, "shop", "select * from t"), (admin, "shop", "select 1"),
                          (bob, "shop", "select count(*) from t"), (bob, "ledger", "select 2"),
                          (bob, "ledger", "select * from missing_table"),
                          (admin, "ledger", "delete from t"), (bob, "shop", "select id from t")]:
        try:
            ws.run_sql(name, sql)
        except OlympusError:
            pass
    return admin


def _log(store: Store) -> list:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(query_log).where(query_log.c.owner == "team")))


def test_figures_equal_the_log(team, store):
    figures = team.stats(days=7)
    rows = _log(store)
    names = {r.id: r.name for r in store.list_connections("team")}
    assert figures.queries == len(rows) == 7
    for group in figures.by_connection:
        mine = [r for r in rows if names[r.connection_id] == group.key]
        ok = [r.elapsed_ms for r in mine if r.status == "ok"]
        assert group.queries == len(mine)
        assert group.errors == sum(r.status != "ok" for r in mine)
        assert group.p50 == pytest.approx(np.percentile(ok, 50))
        assert group.p95 == pytest.approx(np.percentile(ok, 95))
        assert group.p99 == pytest.approx(np.percentile(ok, 99))
    assert {g.key for g in figures.by_connection} == {"shop", "ledger"}
    assert sum(g.queries for g in figures.by_day) == 7
    errors = dict(figures.errors_by_type)
    assert sum(errors.values()) == sum(r.status != "ok" for r in rows) == 2
    assert any(k.startswith("refused") for k in errors), errors
    assert figures.rows == sum(r.row_count for r in rows if r.status == "ok") == 50 + 1 + 1 + 1 + 50
    assert figures.bytes == sum(r.bytes for r in rows if r.status == "ok") > 0
    assert dict(figures.users) == {"ann@x.io": 3, "bob@x.io": 4}
    slowest = [r.elapsed_ms for r in rows if r.status == "ok"]
    assert [s.elapsed_ms for s in figures.slowest] == sorted(slowest, reverse=True)
    assert figures.cache_hits == sum(bool(r.cached) for r in rows)


def test_percentiles_on_known_latencies(team, store):
    """100 rows with known latencies 1..100 ms on one connection, two days apart."""
    shop = team.get("shop")
    now = datetime.now(timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(query_log.insert(), [
            dict(owner="team", connection_id=shop.id, sql="select 1", status="ok", row_count=1,
                 elapsed_ms=float(ms), created_at=now - timedelta(days=2), user="cy@x.io",
                 cached=ms % 4 == 0) for ms in range(1, 101)])
    figures = team.stats(days=7)
    day = (now - timedelta(days=2)).date().isoformat()
    [group] = [g for g in figures.by_day if g.key == day]
    assert (group.queries, group.p50, group.p95, group.p99) == (100, 50.5, 95.05, 99.01)
    assert figures.cache_hits == 25
    assert dict(figures.users)["cy@x.io"] == 100
    assert team.stats(days=1).queries == 7  # the window leaves the old rows out


def test_admins_only_and_clear_errors(team, store):
    bob = Workspace(store, settings=store.settings, principal=Principal("bob@x.io", "team",
                                                                        "editor"))
    with pytest.raises(Forbidden):
        bob.stats()
    with pytest.raises(OlympusError, match="days"):
        team.stats(days=0)
    other = Workspace(store, settings=store.settings, principal=Principal("ann@x.io", "other",
                                                                          "admin"))
    assert other.stats().queries == 0  # another space sees none of team's log


def test_cli_stats_json_and_text(team, store, capsys, monkeypatch):
    from olympus.ops.cli_stats import cmd_stats, lines

    class Args:
        days, json = 7, True

    assert cmd_stats(Args, team) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queries"] == 7 and {c["key"] for c in data["by_connection"]} == {"shop", "ledger"}
    text = "\n".join(lines(team.stats(days=7)))
    assert "Latency per connection" in text and "ledger" in text and "select count(*)" in text


def test_performance_page_draws_the_figures(tmp_path, monkeypatch):
    """The admin page on the local store after real demo queries: metrics, two latency charts
    with one bar per (connection, percentile) and the slowest queries, no traceback."""
    from streamlit.testing.v1 import AppTest

    from olympus.config import Settings
    from tests.services import ROOT
    from tests.ui.conftest import CLEAN_ENV
    from tests.ui.helpers import chart_rows, no_traceback, shown

    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    local = Workspace(Store.from_settings(settings), settings=settings)
    demo = local.ensure_demo()
    for sql in ("select count(*) from loans", "select * from branches", "select nope"):
        try:
            local.run_sql(demo.name, sql)
        except OlympusError:
            pass
    at = AppTest.from_file(str(ROOT / "pages/7_Performance.py"), default_timeout=90).run()
    no_traceback(at)
    text = shown(at)
    assert "Latency per connection" in text and "Slowest queries" in text
    assert [m.value for m in at.metric][:2] == ["3", "33.3%"]
    rows = chart_rows(at, 0)  # p50/p95/p99 of the demo's two successful queries
    assert {(r["Connection"], r["Percentile"]) for r in rows} == {
        (demo.name, "p50"), (demo.name, "p95"), (demo.name, "p99")}
    sql_shown = at.dataframe[0].value["SQL"].tolist()
    assert sorted(sql_shown) == ["select * from branches", "select count(*) from loans"]
