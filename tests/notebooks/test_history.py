"""History across sessions: a user's own past queries and questions from the query log, with
search and filters, never another user's, another space's or a hidden connection's."""

from __future__ import annotations

import json

import duckdb
import pytest

from olympus.errors import ConfigError, SQLSyntaxError, UnsafeSQL
from olympus.store import NotFound, Store
from olympus.store_teams import Teams
from olympus.teams import principal_for
from olympus.workspace import Workspace
from tests.store_helpers import cli, make_settings


def _duck(path, table: str) -> str:
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE {table} AS SELECT range AS id FROM range(3)")
    con.close()
    return str(path)


@pytest.fixture
def team(tmp_path):
    settings = make_settings(tmp_path / "home", OLYMPUS_AUTH="oidc",
                             OLYMPUS_ADMINS="boss@example.com")
    store = Store.from_settings(settings)
    admin = Workspace(store, settings=settings,
                      principal=principal_for(store, settings, "boss@example.com"))
    for name in ("shop", "crm"):
        admin.add_connection(name, "duckdb", {"path": _duck(tmp_path / f"{name}.duckdb", name)},
                             test_first=False, require_read_only_role=False)
    admin.set_member("ed@example.com", "editor")
    admin.set_member("al@example.com", "editor")

    def as_(email: str, space: str | None = None) -> Workspace:
        return Workspace(store, settings=settings,
                         principal=principal_for(store, settings, email, space))

    yield admin, as_, store
    store.dispose()


def _work(ws: Workspace) -> None:
    """One of each: ok on two connections, a question, an error, a refusal."""
    ws.run_sql("shop", "select count(*) as n from shop")
    ws.run_sql("crm", "select id from crm where id = 1")
    ws.run_sql("shop", "select max(id) as top from shop", question="What is the 50% top id?")
    with pytest.raises(SQLSyntaxError):
        ws.run_sql("shop", "select nope from shop")
    with pytest.raises(UnsafeSQL):
        ws.run_sql("crm", "drop table crm")


def test_history_is_the_users_own_newest_first_with_filters(team):
    admin, as_, _ = team
    ed = as_("ed@example.com")
    _work(ed)
    admin.run_sql("shop", "select 'the boss' as who")
    entries = ed.history()
    assert [e.sql for e in entries] == ["drop table crm", "select nope from shop",
                                        "select max(id) as top from shop",
                                        "select id from crm where id = 1",
                                        "select count(*) as n from shop"]
    assert [e.status for e in entries] == ["refused", "error", "ok", "ok", "ok"]
    assert [e.connection for e in entries] == ["crm", "shop", "shop", "crm", "shop"]
    assert entries[2].kind == "question" and entries[2].source == "ask"
    assert entries[0].error and entries[3].row_count == 1
    assert [e.sql for e in ed.history(connection="crm")] == ["drop table crm",
                                                             "select id from crm where id = 1"]
    assert [e.status for e in ed.history(status="error")] == ["error"]
    assert [e.sql for e in ed.history(status="ok", connection="shop")] == [
        "select max(id) as top from shop", "select count(*) as n from shop"]
    assert [e.sql for e in ed.history(search="COUNT(")] == ["select count(*) as n from shop"]
    assert [e.kind for e in ed.history(search="50% top")] == ["question"]  # in the question
    assert ed.history(search="50%_") == []  # the user's % and _ are plain characters
    assert len(ed.history(limit=2)) == 2
    assert [e.sql for e in admin.history()] == ["select 'the boss' as who"]
    assert as_("al@example.com").history() == []


def test_history_leaves_out_hidden_connections_other_spaces_and_other_users(team):
    admin, as_, store = team
    ed = as_("ed@example.com")
    _work(ed)
    admin.grant("crm", users=["al@example.com"])  # ed may no longer see crm
    assert {e.connection for e in ed.history()} == {"shop"}
    with pytest.raises(NotFound):
        ed.history(connection="crm")
    admin.remove_connection("shop")
    assert {e.connection for e in ed.history()} == {None}  # deleted: shown, unnamed
    finance = Teams(store).create_space("Finance")
    Teams(store).set_member(finance, "ed@example.com", "editor")
    assert as_("ed@example.com", finance).history() == []


def test_one_entry_opens_by_id_only_for_its_user(team):
    admin, as_, _ = team
    ed = as_("ed@example.com")
    _work(ed)
    question = ed.history(search="50% top")[0]
    again = ed.history_item(question.id)
    assert (again.sql, again.question, again.connection) == (
        "select max(id) as top from shop", "What is the 50% top id?", "shop")
    assert again.to_dict()["kind"] == "question"
    for who in (admin, as_("al@example.com")):
        with pytest.raises(NotFound):
            who.history_item(question.id)
    with pytest.raises(NotFound):
        ed.history_item("not a number")


def test_a_bad_status_filter_is_a_clear_error(team):
    _, as_, _ = team
    with pytest.raises(ConfigError, match="Unknown status 'done'") as caught:
        as_("ed@example.com").history(status="done")
    assert caught.value.suggestion == "Statuses: ok, error, refused, cancelled."


def test_cli_history_and_cache_lifetime(tmp_path):
    home = tmp_path / "cli"
    path = _duck(tmp_path / "shop.duckdb", "shop")
    added = cli(home, "connections", "add", "shop", "--type", "duckdb", "--param",
                f"path={path}")
    assert added.returncode == 0, added.stderr
    assert cli(home, "sql", "shop", "select count(*) as n from shop").returncode == 0
    assert cli(home, "sql", "shop", "select nope from shop").returncode != 0
    out = cli(home, "history", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["sql"], r["status"], r["connection"], r["source"]) for r in rows] == [
        ("select nope from shop", "error", "shop", "sql"),
        ("select count(*) as n from shop", "ok", "shop", "sql")]
    text = cli(home, "history", "--status", "ok")
    assert "select count(*) as n from shop" in text.stdout and "nope" not in text.stdout
    assert "1 entry" in text.stderr
    shown = cli(home, "cache", "shop")
    assert shown.stdout.strip() == "shop: results are cached for 600 s (default)"
    set_ = cli(home, "cache", "shop", "--ttl", "0")
    assert set_.stdout.strip() == "shop: results are never cached"
    bad = cli(home, "cache", "shop", "--ttl", "-1")
    assert bad.returncode != 0 and "0 to" in bad.stderr
