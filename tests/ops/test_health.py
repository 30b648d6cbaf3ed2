"""Connection health on real databases: a used connection is checked, a dropped database is
flagged before anyone's query, unused ones pause, replicas claim each round once; the cards and
the Ask page show it."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

from olympus.crypto import generate_key
from olympus.ops import health
from olympus.store import Store
from olympus.store_db import connections, now
from olympus.teams import Principal
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


@pytest.fixture()
def store(any_store):
    """SQLite and a real PostgreSQL store (tests/conftest.py)."""
    return any_store


def _ws(store) -> Workspace:
    return Workspace(store, settings=store.settings, principal=Principal("ann@x.io", "team",
                                                                         "admin"))


def _duck(ws, tmp_path, name="shop"):
    path = tmp_path / f"{name}.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table t as select 1 as x")
    ws.add_connection(name, "duckdb", {"path": str(path)})
    return path


def _age(store, name: str, minutes: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(connections.update().where(connections.c.name == name).values(
            last_used=now() - timedelta(minutes=minutes)))


def test_used_connections_are_checked_unused_pause(store, tmp_path):
    ws = _ws(store)
    _duck(ws, tmp_path, "shop")
    _duck(ws, tmp_path, "idle")
    ws.run_sql("shop", "select x from t")  # used now
    _age(store, "idle", 60)  # nobody used it for an hour
    assert health.run_round(store) == 1
    checks = ws.health()
    assert set(checks) == {"shop"} and checks["shop"].ok and checks["shop"].latency_ms > 0
    assert health.run_round(store) == 0  # checked this round already


def test_a_failing_database_is_flagged(store, tmp_path, pg_server_url):
    ws = _ws(store)
    admin = pg_server_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS health_probe")
        conn.execute("CREATE DATABASE health_probe")
    url = sa.make_url(admin).set(database="health_probe").render_as_string(hide_password=False)
    ws.add_connection("pg", "postgresql", {"url": url}, test_first=False)
    assert ws.check_health("pg").ok
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE health_probe WITH (FORCE)")
    first = ws.check_health("pg")
    second = ws.check_health("pg")
    assert not second.ok and second.failures == 2 and first.failures == 1
    assert second.error == "Unknown database: That database does not exist on the server."
    assert second.latency_ms is None
    assert not ws.health()["pg"].ok


def test_replicas_claim_each_round_once(store, tmp_path):
    ws = _ws(store)
    _duck(ws, tmp_path)
    ws.run_sql("shop", "select 1")
    record = ws.get("shop")
    other = Store(store.url, settings=store.settings)  # a second replica on the same store
    try:
        assert health.claim(store, record.id) is True
        assert health.claim(other, record.id) is False
        assert health.due(other) == []
        later = now() + timedelta(seconds=health.INTERVAL_S)
        assert health.claim(other, record.id, at=later) is True
    finally:
        other.dispose()


def test_cards_and_ask_page_show_a_failing_connection(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from olympus.config import Settings
    from tests.services import ROOT
    from tests.ui.conftest import CLEAN_ENV
    from tests.ui.helpers import no_traceback, shown

    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    local = Workspace(Store.from_settings(settings), settings=settings)
    local.ensure_demo()
    path = _duck(local, tmp_path, "shop")
    assert local.check_health("shop").ok
    path.unlink()  # the file is gone: the next check fails
    assert not local.check_health("shop").ok
    at = AppTest.from_file(str(ROOT / "pages/1_Connections.py"), default_timeout=90).run()
    no_traceback(at)
    badges = [b.proto.label for b in at.get("badge")] if at.get("badge") else []
    text = shown(at) + "\n".join(badges)
    assert "Unreachable" in text and "Reachable" not in text.replace("Unreachable", "")
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90)
    at.session_state["ask:conn"] = "shop"
    at.run()
    no_traceback(at)
    assert "The last health check of shop failed" in shown(at)


def test_removing_a_connection_forgets_its_checks_thresholds_and_descriptions(store, tmp_path):
    from olympus.ops.health_tables import connection_health, connection_ops

    ws = _ws(store)
    _duck(ws, tmp_path)
    record = ws.get("shop")
    ws.check_health("shop")
    ws.set_preview_thresholds("shop", confirm_rows=10)
    ws.set_description("shop", "t", "", "The one table")
    from olympus.semantic import layer

    assert len(layer.load(store.engine, record.id)) == 1
    ws.remove_connection("shop")
    with store.engine.connect() as conn:
        for table in (connection_health, connection_ops):
            assert conn.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.connection_id == record.id)).scalar() == 0
    assert layer.load(store.engine, record.id) == []
