"""Spaces, roles and grants are enforced in core (Workspace) and the CLI obeys them too."""

from __future__ import annotations

import duckdb
import pytest

from olympus.store import NotFound, Store
from olympus.store_teams import Teams
from olympus.teams import Forbidden, NoSpace, Principal, principal_for
from olympus.workspace import Workspace
from tests.store_helpers import cli, make_settings


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT range AS id FROM range(3)")
    con.close()
    return str(path)


@pytest.fixture
def team(tmp_path, shop):
    settings = make_settings(tmp_path / "home", OLYMPUS_AUTH="oidc",
                             OLYMPUS_ADMINS="boss@example.com", OLYMPUS_DATA_DIR=str(tmp_path))
    store = Store.from_settings(settings)
    boss = principal_for(store, settings, "Boss@Example.com")  # bootstraps the first space
    admin = Workspace(store, settings=settings, principal=boss)
    admin.add_connection("shop", "duckdb", {"path": shop}, test_first=False,
                         require_read_only_role=False)
    admin.set_member("ed@example.com", "editor")
    admin.set_member("vi@example.com", "viewer")

    def as_(email: str) -> Workspace:
        return Workspace(store, settings=settings, principal=principal_for(store, settings, email))

    yield admin, as_, store, settings
    store.dispose()


def test_first_admin_is_bootstrapped_and_strangers_have_no_space(team):
    admin, _, store, settings = team
    assert admin.principal == Principal("boss@example.com", settings.owner, "admin")
    assert Teams(store).spaces() == [(settings.owner, "Team")]
    with pytest.raises(NoSpace, match="stranger@example.com is not a member"):
        principal_for(store, settings, "stranger@example.com")


def test_roles_are_enforced_in_core(team):
    _, as_, _, _ = team
    editor, viewer = as_("ed@example.com"), as_("vi@example.com")
    assert editor.run_sql("shop", "SELECT count(*) AS n FROM orders").rows() == [[3]]
    with pytest.raises(Forbidden, match="As viewer of this space you can't run ad-hoc SQL"):
        viewer.run_sql("shop", "SELECT 1")
    assert [t.name for t in viewer.schema("shop").tables] == ["orders"]  # viewing is allowed
    for attempt in (lambda w: w.add_connection("x", "duckdb", {"path": "/x"}, test_first=False),
                    lambda w: w.update_connection("shop", new_name="y"),
                    lambda w: w.remove_connection("shop"),
                    lambda w: w.allow_functions("shop", ["f"]),
                    lambda w: w.grant("shop", roles=["editor"]),
                    lambda w: w.set_member("x@example.com", "admin")):
        for who in (editor, viewer):
            with pytest.raises(Forbidden):
                attempt(who)
    assert [r.name for r in editor.connections()] == ["shop"]


def test_grants_hide_connections_from_everyone_not_named(team):
    admin, as_, _, _ = team
    admin.grant("shop", users=["vi@example.com"])
    editor, viewer = as_("ed@example.com"), as_("vi@example.com")
    assert editor.connections() == [] and [r.name for r in viewer.connections()] == ["shop"]
    with pytest.raises(NotFound):
        editor.run_sql("shop", "SELECT 1")
    with pytest.raises(NotFound):
        editor.schema("shop")
    admin.grant("shop", roles=["editor"])
    assert [r.name for r in editor.connections()] == ["shop"] and viewer.connections() == []
    admin.grant("shop")  # no grants: every member again
    assert viewer.connections() and editor.connections()


def test_spaces_are_separate_rooms(team, shop):
    admin, as_, store, settings = team
    other = Teams(store).create_space("Finance")
    Teams(store).set_member(other, "ed@example.com", "admin")
    in_finance = Workspace(store, settings=settings,
                           principal=principal_for(store, settings, "ed@example.com", other))
    assert in_finance.principal.role == "admin" and in_finance.connections() == []
    in_finance.add_connection("ledger", "duckdb", {"path": shop}, test_first=False,
                              require_read_only_role=False)
    assert [r.name for r in admin.connections()] == ["shop"]  # the team space doesn't see it
    assert as_("ed@example.com").principal.space == settings.owner  # first space by default


def test_cli_provisions_spaces_and_obeys_roles(tmp_path, shop):
    home = tmp_path / "cli"
    env_extra = {"OLYMPUS_DATA_DIR": str(tmp_path)}

    def run(*args):
        from tests.store_helpers import clean_env

        return cli(home, *args, env=clean_env(home, **env_extra))

    assert run("spaces", "create", "Finance").stdout.strip() == "finance"
    assert run("spaces", "members", "Finance", "add", "Ana@example.com", "--role",
               "viewer").returncode == 0
    assert run("--space", "finance", "connections", "add", "shop", "--type", "duckdb",
               "--param", f"path={shop}", "--no-test").returncode == 0
    refused = run("--space", "finance", "--user", "ana@example.com", "sql", "shop", "SELECT 1")
    assert refused.returncode != 0 and "As viewer of this space" in refused.stderr
    listed = run("--space", "finance", "--user", "ana@example.com", "connections", "list")
    assert "shop" in listed.stdout
    stranger = run("--user", "eve@example.com", "connections", "list")
    assert stranger.returncode != 0 and "not a member of any space" in stranger.stderr
    assert "ana@example.com\tviewer" in run("spaces", "members", "finance").stdout
