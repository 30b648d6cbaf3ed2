"""The audit log on real stores (SQLite, PostgreSQL): one row per action with its user, space,
connection and outcome; never updated or deleted; the CLI and the admin Activity page read it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
import sqlalchemy as sa

from olympus.crypto import generate_key
from olympus.errors import OlympusError, UnsafeSQL
from olympus.store import Store
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.store_helpers import clean_env, cli, make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    settings = make_settings(tmp_path, keys=(generate_key(),))
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    opened = Store(url, settings=settings)
    yield opened
    opened.dispose()


@pytest.fixture()
def shop(tmp_path) -> str:
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table orders as select range as id, range * 1.5 as amount "
                     "from range(40)")
    return str(path)


def _as(store: Store, user: str, role: str) -> Workspace:
    return Workspace(store, settings=store.settings, principal=Principal(user, "team", role))


def _statements(store: Store) -> list[str]:
    """Every SQL statement the store's engine runs from now on."""
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def test_every_action_leaves_one_row(store, shop):
    seen = _statements(store)
    ann = _as(store, "ann@x.io", "admin")
    record, _ = ann.add_connection("shop", "duckdb", {"path": shop})
    ann.test_connection("shop")
    ann.update_connection("shop", new_name="Shop")
    ann.grant("Shop", roles=["editor"])
    ann.set_member("eve@x.io", "editor")
    eve = _as(store, "eve@x.io", "editor")
    result = eve.run_sql("Shop", "select * from orders")
    with pytest.raises(UnsafeSQL):
        eve.run_sql("Shop", "drop table orders")
    with pytest.raises(OlympusError):
        eve.run_sql("Shop", "select * from no_such_table")
    with pytest.raises(Forbidden):
        eve.remove_connection("Shop")
    with pytest.raises(Forbidden):
        _as(store, "vic@x.io", "viewer").run_sql("Shop", "select 1")
    ann.remove_member("eve@x.io")
    ann.remove_connection("Shop")
    rows = list(reversed(ann.activity()))
    got = [(e.user, e.action, e.status) for e in rows]
    assert got == [
        ("ann@x.io", "connection_add", "ok"), ("ann@x.io", "connection_test", "ok"),
        ("ann@x.io", "connection_edit", "ok"), ("ann@x.io", "grant", "ok"),
        ("ann@x.io", "member_change", "ok"), ("eve@x.io", "query", "ok"),
        ("eve@x.io", "query", "refused"), ("eve@x.io", "query", "error"),
        ("eve@x.io", "connection_delete", "refused"), ("vic@x.io", "query", "refused"),
        ("ann@x.io", "member_change", "ok"), ("ann@x.io", "connection_delete", "ok")]
    assert {e.space for e in rows} == {"team"}
    ok = rows[5]
    assert (ok.connection_id, ok.rows, ok.sql) == (record.id, 40, result.sql)
    assert ok.bytes == result.df.memory_usage(index=False, deep=True).sum() > 0
    assert ok.elapsed_ms is not None and ok.elapsed_ms >= 0
    assert rows[6].sql == "drop table orders" and "found DROP TABLE" in rows[6].detail, \
        rows[6]
    assert "no_such_table" in rows[7].detail and rows[7].connection_id == record.id
    assert rows[2].detail == "shop: new_name" and rows[3].detail == "Shop: users -; roles editor"
    assert rows[4].detail == "eve@x.io as editor" and rows[10].detail == "eve@x.io removed"
    assert "As viewer" in rows[9].detail
    audit_writes = [s for s in seen if re.search(r"\b(update|delete\s+from)\s+\"?audit_log",
                                                 s, re.I)]
    assert audit_writes == [] and any(re.search(r"insert into \"?audit_log", s, re.I)
                                      for s in seen)
    for ws in (ann, eve):
        ws.close()


def test_a_failed_test_and_a_refused_save_are_recorded(store, tmp_path):
    ann = _as(store, "ann@x.io", "admin")
    missing = str(tmp_path / "missing.duckdb")
    saved, result = ann.add_connection("gone", "duckdb", {"path": missing})
    assert saved is None and not result.ok
    with pytest.raises(OlympusError):
        ann.add_connection("bad", "no-such-type", {})
    editor = _as(store, "eve@x.io", "editor")
    with pytest.raises(Forbidden):
        editor.add_connection("x", "duckdb", {"path": missing})
    got = [(e.user, e.action, e.status, e.detail.split(":")[0])
           for e in reversed(ann.activity(action="connection_add"))]
    assert got == [("ann@x.io", "connection_add", "failed", "gone (duckdb)"),
                   ("ann@x.io", "connection_add", "error", "bad (no-such-type)"),
                   ("eve@x.io", "connection_add", "refused", "x (duckdb)")]
    assert [e.action for e in ann.activity()].count("connection_test") == 0  # inside the add


def test_only_admins_read_the_trail_and_filters_work(store, shop):
    ann = _as(store, "ann@x.io", "admin")
    ann.add_connection("shop", "duckdb", {"path": shop})
    ann.add_connection("other", "duckdb", {"path": shop})
    ann.run_sql("shop", "select 1")
    ann.run_sql("other", "select 2")
    with pytest.raises(Forbidden):
        _as(store, "eve@x.io", "editor").activity()
    assert [e.sql for e in ann.activity(connection="other", action="query")] == ["select 2"]
    assert ann.activity(since=datetime.now(timezone.utc) + timedelta(minutes=5)) == []
    assert len(ann.activity(since=datetime.now(timezone.utc) - timedelta(minutes=5))) == 4
    assert ann.activity(user="nobody@x.io") == [] and ann.activity_users() == ["ann@x.io"]
    other_space = Workspace(store, settings=store.settings,
                            principal=Principal("ann@x.io", "elsewhere", "admin"))
    assert other_space.activity() == []  # a space sees only its own rows


def test_ask_is_recorded_with_its_question_and_sql(store, shop):
    from olympus.agent.loop import ask
    from tests.agent.scripted import model, run_sql

    ann = _as(store, "ann@x.io", "admin")
    ann.add_connection("shop", "duckdb", {"path": shop})
    answer = ask(ann, "shop", "how many orders?",
                 llm=model(run_sql("select count(*) as n from orders", explanation="Count.")))
    assert answer.ok, answer.error
    asked, queried = ann.activity(action="ask")[0], ann.activity(action="query")[0]
    assert (asked.status, asked.question, asked.sql, asked.rows) == (
        "ok", "how many orders?", answer.sql, 1)
    assert queried.question == "how many orders?" and queried.sql == answer.sql
    gave_up = ask(ann, "shop", "tell me a joke", llm=model(*[_words()] * 6))
    assert gave_up.error is not None
    last = ann.activity(action="ask")[0]
    assert (last.status, last.question, last.sql) == ("error", "tell me a joke", None)
    assert "No query produced" in last.detail


def _words():
    from langchain_core.messages import AIMessage

    return AIMessage(content="I only speak in words.")


def test_cli_audit_reads_the_space(tmp_path, shop):
    home = tmp_path / "home"
    env = clean_env(home, OLYMPUS_SECRET_KEY=generate_key())
    added = cli(home, "connections", "add", "shop", "--type", "duckdb", "--param",
                f"path={shop}", env=env)
    assert added.returncode == 0, added.stderr
    assert cli(home, "sql", "shop", "select 41 + 1 as answer", env=env).returncode == 0
    refused = cli(home, "sql", "shop", "delete from orders", env=env)
    assert refused.returncode == 1
    out = cli(home, "audit", "--json", env=env)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["action"], r["status"], r["connection"]) for r in rows] == [
        ("query", "refused", "shop"), ("query", "ok", "shop"), ("connection_add", "ok", "shop")]
    assert rows[1]["rows"] == 1 and rows[1]["user"] == "local" and rows[1]["space"] == "local"
    text = cli(home, "audit", "--space", "local", "--since",
               (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(), env=env)
    assert text.returncode == 0 and text.stdout.count("\n") == 3, text.stdout
    assert "delete from orders" in text.stdout
    later = cli(home, "audit", "--since", "2999-01-01", env=env)
    assert later.returncode == 0 and "No audit rows match." in later.stdout
    bad = cli(home, "audit", "--since", "yesterday", env=env)
    assert bad.returncode == 1 and "not an ISO date" in bad.stderr


def test_cli_audit_is_for_admins(tmp_path):
    home = tmp_path / "home"
    env = clean_env(home, OLYMPUS_SECRET_KEY=generate_key())
    assert cli(home, "spaces", "create", "Team", env=env).returncode == 0
    assert cli(home, "spaces", "members", "Team", "add", "eve@x.io", "--role", "editor",
               env=env).returncode == 0
    denied = cli(home, "--user", "eve@x.io", "audit", env=env)
    assert denied.returncode == 1 and "manage the members" in denied.stderr


# ---- the Activity page ---------------------------------------------------------------------------
def test_activity_page_filters_and_exports(tmp_path, monkeypatch, shop):
    from streamlit.testing.v1 import AppTest

    from olympus.config import Settings
    from olympus.ui.activity import csv_bytes
    from tests.services import ROOT

    for name in ("OPENAI_API_KEY", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER",
                 "OLYMPUS_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = Workspace(store, settings=settings)
    ws.add_connection("shop", "duckdb", {"path": shop})
    ws.run_sql("shop", "select 7 as seven")
    with pytest.raises(UnsafeSQL):
        ws.run_sql("shop", "=cmd|' /C calc'!A0")
    at = AppTest.from_file(str(ROOT / "pages/5_Activity.py"), default_timeout=90).run()
    assert not at.exception, [e.message for e in at.exception]
    frame = at.dataframe[0].value
    assert list(frame["Action"]) == ["query", "query", "connection_add"]
    at.selectbox(key="activity:status").set_value("refused").run()
    frame = at.dataframe[0].value
    assert list(frame["SQL"]) == ["=cmd|' /C calc'!A0"] and list(frame["Connection"]) == ["shop"]
    exported = list(csv.reader(io.StringIO(csv_bytes(frame).decode())))
    assert exported[1][5] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it, doesn't run it
    assert at.get("download_button"), "no CSV download"
    ws.close(), store.dispose()
