"""test() says what credentials may do beyond reading; require_read_only_role refuses them."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from olympus.connectors import TestResult as Result, connector_class, create_connector
from olympus.connectors.privileges import mysql_grant
from olympus.read_only import RiskyCredentials
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import cli, clean_env, make_settings


def _pg_admin(url: str, statements: list[str]) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    engine.dispose()


def _as(url: str, user: str, password: str) -> str:
    return make_url(url).set(username=user, password=password).render_as_string(
        hide_password=False)


@pytest.fixture()
def pg_db(pg_url):
    _pg_admin(pg_url, ["CREATE TABLE public.orders (id int PRIMARY KEY, total numeric)",
                       "CREATE SCHEMA sales", "CREATE TABLE sales.items (id int)"])
    return pg_url


@pytest.fixture()
def pg_role(pg_db):
    """A fresh login role (cluster-wide, so uniquely named); dropped afterwards."""
    name = f"ro_{uuid.uuid4().hex[:10]}"
    database = make_url(pg_db).database
    _pg_admin(pg_db, [f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'"])
    yield name, _as(pg_db, name, f"pw-{name}")
    _pg_admin(pg_db, [f"REASSIGN OWNED BY {name} TO CURRENT_USER", f"DROP OWNED BY {name}"])
    _pg_admin(pg_db.replace(f"/{database}", "/postgres"), [f"DROP ROLE {name}"])


def _recipe(cls, role: str, database: str) -> list[str]:
    """The class's own recipe, as an admin would paste it (names and password filled in)."""
    sql = (cls.read_only_role_recipe.replace("olympus_ro", role).replace("mydb", database)
           .replace("choose-a-long-password", f"pw-{role}"))
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _test(kind: str, **params) -> Result:
    connector = create_connector(kind, params)
    try:
        result = connector.test()
    finally:
        connector.dispose()
    assert result.ok, result.error
    return result


# ---- PostgreSQL / Redshift (real PostgreSQL 16) ------------------------------------------------
def test_postgres_superuser_is_risky(pg_db):
    result = _test("postgresql", url=pg_db, sslmode="disable")
    assert result.risky[0] == "superuser"
    assert "member of pg_execute_server_program" in result.risky
    assert "CREATE on schema public" in result.risky
    assert "INSERT, UPDATE, DELETE, TRUNCATE on public.orders" in result.risky
    assert result.to_dict()["risky"] == list(result.risky)


def test_postgres_recipe_role_is_clean_and_can_read(pg_db):
    role = f"olympus_ro_{uuid.uuid4().hex[:8]}"
    database = make_url(pg_db).database
    _pg_admin(pg_db, _recipe(connector_class("postgresql"), role, database))
    try:
        url = _as(pg_db, role, f"pw-{role}")
        assert _test("postgresql", url=url, sslmode="disable").risky == ()
        assert _test("redshift", url=url, sslmode="disable").risky == ()
        reader = create_connector("postgresql", {"url": url, "sslmode": "disable"})
        assert reader.fetch("SELECT count(*) FROM public.orders", limit=5,
                            timeout_s=5).table.num_rows == 1
        reader.dispose()
    finally:
        _pg_admin(pg_db, [f"DROP OWNED BY {role}", f"DROP ROLE {role}"])


def test_postgres_each_write_privilege_is_named(pg_db, pg_role):
    name, url = pg_role
    _pg_admin(pg_db, [f"GRANT USAGE ON SCHEMA sales TO {name}",
                      f"GRANT SELECT, INSERT ON public.orders TO {name}",
                      f"GRANT DELETE ON sales.items TO {name}",
                      f"GRANT CREATE ON SCHEMA sales TO {name}",
                      f"GRANT pg_write_all_data TO {name}"])
    risky = _test("postgresql", url=url, sslmode="disable").risky
    assert "member of pg_write_all_data" in risky and "CREATE on schema sales" in risky
    assert "superuser" not in risky
    # pg_write_all_data grants every write on every table, so each table is listed
    assert "INSERT, UPDATE, DELETE on public.orders" in risky
    _pg_admin(pg_db, [f"REVOKE pg_write_all_data FROM {name}"])
    risky = _test("postgresql", url=url, sslmode="disable").risky
    assert risky == ("CREATE on schema sales", "INSERT on public.orders", "DELETE on sales.items")
    redshift = _test("redshift", url=url, sslmode="disable").risky  # pg_user + has_table_privilege
    assert redshift == ("CREATE on schema sales", "INSERT on public.orders",
                        "DELETE on sales.items")


def test_postgres_many_writable_tables_are_capped(pg_db):
    _pg_admin(pg_db, [f"CREATE TABLE public.t{i:03d} (id int)" for i in range(45)])
    risky = _test("postgresql", url=pg_db, sslmode="disable").risky
    tables = [f for f in risky if " on public." in f or " on sales." in f]
    assert len(tables) == 20
    assert risky[-1] == "… and 27 more tables it may change"  # 45 + orders + items = 47


# ---- MySQL / MariaDB -------------------------------------------------------------------------
def test_mariadb_reader_is_clean_and_admin_is_risky(mysql_server):
    s = mysql_server
    reader = _test("mysql", host=s.host, port=s.port, database=s.database, username=s.reader,
                   password=s.reader_password, ssl="disabled")
    assert reader.risky == ()
    admin = make_url(s.admin_url)
    risky = _test("mysql", host=s.host, port=s.port, username=admin.username,
                  password=admin.password or "", ssl="disabled").risky
    assert any(f.startswith("ALL PRIVILEGES on *.*") for f in risky), risky
    assert any(f.startswith("WITH GRANT OPTION") for f in risky), risky


def test_mariadb_write_and_file_grants_are_named(mysql_server):
    from tests.services import mysql_admin

    s, user = mysql_server, f"w_{uuid.uuid4().hex[:8]}"
    mysql_admin(s.admin_url, [f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'",
                              f"GRANT SELECT, INSERT ON `{s.database}`.* TO '{user}'@'%'",
                              f"GRANT FILE ON *.* TO '{user}'@'%'"])
    try:
        risky = _test("mysql", host=s.host, port=s.port, database=s.database, username=user,
                      password=f"pw-{user}", ssl="disabled").risky
    finally:
        mysql_admin(s.admin_url, [f"DROP USER '{user}'@'%'"])
    assert "FILE on *.*" in risky and f"INSERT on `{s.database}`.*" in risky, risky


def test_mysql_grant_lines():
    assert mysql_grant("GRANT USAGE ON *.* TO `r`@`%` IDENTIFIED BY PASSWORD '*AB'") == []
    assert mysql_grant("GRANT SELECT, SHOW VIEW ON `shop`.* TO `r`@`%`") == []
    assert mysql_grant("GRANT SELECT (a, b), UPDATE (c) ON `shop`.`t` TO 'r'@'%'") == [
        "UPDATE (c) on `shop`.`t`"]
    assert mysql_grant("GRANT SUPER, PROCESS ON *.* TO 'r'@'%'") == ["SUPER, PROCESS on *.*"]
    assert mysql_grant("GRANT `analyst` TO `r`@`%`") == [
        "granted role `analyst` (its privileges are not checked)"]


# ---- embedded files and BigQuery -----------------------------------------------------------
def test_files_are_clean(tmp_path):
    import duckdb
    import sqlite3

    duckdb.connect(str(tmp_path / "d.duckdb")).close()
    sqlite3.connect(tmp_path / "s.sqlite").execute("CREATE TABLE t (x)").connection.close()
    assert _test("duckdb", path=str(tmp_path / "d.duckdb")).risky == ()
    assert _test("sqlite", path=str(tmp_path / "s.sqlite")).risky == ()


def test_bigquery_says_it_cannot_tell():
    cls = connector_class("bigquery")
    assert cls.privileges_in_session is False and "roles/bigquery.dataViewer" in \
        cls.read_only_role_recipe
    assert cls.privileges(None, None) is None  # unknown, never "clean"


def test_snowflake_where_show_grants_fails_cannot_tell(snowflake_server, snowflake_db):
    """fakesnow has no SHOW GRANTS: the test still passes, and says it can't tell (None)."""
    url, connect_args = snowflake_db
    database = make_url(url).database.split("/")[0]
    engine = create_engine(url, connect_args=connect_args)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {database}"))
    engine.dispose()
    s = snowflake_server
    result = _test("snowflake", account=s["account"], user=s["user"], password=s["password"],
                   database=database, schema="PUBLIC", host=s["host"], port=s["port"],
                   protocol=s["protocol"])
    assert result.risky is None and result.to_dict()["risky"] is None


def test_snowflake_grants_follow_inherited_roles():
    """The SHOW GRANTS reading (the emulator lacks it), over rows shaped like Snowflake's."""
    from olympus.connectors.privileges import snowflake

    grants = {"ANALYST": [("USAGE", "WAREHOUSE", "WH"), ("SELECT", "TABLE", "DB.S.T"),
                          ("USAGE", "ROLE", "LOADER")],
              "LOADER": [("INSERT", "TABLE", "DB.S.T"), ("USAGE", "ROLE", "SYSADMIN")],
              "SYSADMIN": [("CREATE DATABASE", "ACCOUNT", "ACME")]}

    def show(sql: str) -> list[dict]:
        if sql.startswith("SELECT"):
            return [{"role": "ANALYST"}]
        role = sql.split('"')[1]
        return [{"privilege": p, "granted_on": k, "name": n} for p, k, n in grants[role]]

    assert snowflake(show) == ("INSERT on table DB.S.T", "role SYSADMIN",
                               "CREATE DATABASE on account ACME")


# ---- require_read_only_role --------------------------------------------------------------------
@pytest.fixture()
def ws(tmp_path):
    store = Store(settings=make_settings(tmp_path / "home"))
    workspace = Workspace(store, "alice")
    yield workspace
    workspace.close()
    store.dispose()


def test_required_role_refuses_risky_credentials_and_saves_nothing(ws, pg_db):
    params = {"url": pg_db, "sslmode": "disable"}
    with pytest.raises(RiskyCredentials) as caught:
        ws.add_connection("admin", "postgresql", params, require_read_only_role=True)
    assert "superuser" in caught.value.message and caught.value.findings[0] == "superuser"
    assert "CREATE ROLE olympus_ro" in caught.value.recipe
    assert ws.connections() == []


def test_required_role_accepts_clean_credentials(ws, pg_db, pg_role):
    name, url = pg_role
    _pg_admin(pg_db, [f"GRANT SELECT ON public.orders TO {name}"])
    record, result = ws.add_connection("reader", "postgresql", {"url": url, "sslmode": "disable"},
                                       require_read_only_role=True)
    assert record.require_read_only_role and result.risky == () and record.risky == ()
    assert ws.run_sql("reader", "SELECT count(*) AS n FROM orders").row_count == 1
    # new credentials that can write are refused, and the saved ones stay
    with pytest.raises(RiskyCredentials, match="superuser"):
        ws.update_connection("reader", params={"url": pg_db})
    assert ws.connector("reader").params["url"] == url


def test_run_sql_refuses_when_the_last_test_was_risky(ws, pg_db):
    ws.add_connection("admin", "postgresql", {"url": pg_db, "sslmode": "disable"})
    assert ws.get("admin").risky[0] == "superuser"  # recorded, not refused: the setting is off
    assert ws.run_sql("admin", "SELECT 1 AS x").row_count == 1
    with pytest.raises(RiskyCredentials):  # switching it on with risky credentials is refused
        ws.update_connection("admin", require_read_only_role=True)
    ws.store.update("alice", "admin", require_read_only_role=True)  # e.g. set by an older app
    with pytest.raises(RiskyCredentials, match="requires a read-only role"):
        ws.run_sql("admin", "SELECT 1 AS x")
    assert ws.query_log(limit=1)[0].status == "error"  # the refusal is logged like any other


def test_default_is_on_when_sign_in_is_on(tmp_path, pg_db):
    settings = make_settings(tmp_path / "home", OLYMPUS_AUTH="oidc")
    assert settings.auth == "oidc" and make_settings(tmp_path / "h2").auth == "none"
    store = Store(settings=settings)
    ws = Workspace(store, "bob")
    with pytest.raises(RiskyCredentials):
        ws.add_connection("admin", "postgresql", {"url": pg_db, "sslmode": "disable"})
    record, _ = ws.add_connection("admin", "postgresql", {"url": pg_db, "sslmode": "disable"},
                                  require_read_only_role=False)
    assert record.require_read_only_role is False
    ws.close()
    store.dispose()


# ---- the CLI ---------------------------------------------------------------------------------
def test_cli_warns_and_refuses(tmp_path, pg_db):
    home = tmp_path / "home"
    added = cli(home, "connections", "add", "admin", "--url", pg_db, "--param",
                "sslmode=disable", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["test"]["risky"][0] == "superuser"
    assert "can do more than read" in added.stderr and "superuser" in added.stderr
    assert "CREATE ROLE olympus_ro" in added.stderr
    tested = cli(home, "connections", "test", "admin")
    assert "superuser" in tested.stderr and "CREATE ROLE olympus_ro" in tested.stderr
    refused = cli(home, "connections", "add", "strict", "--url", pg_db, "--param",
                  "sslmode=disable", "--require-read-only-role")
    assert refused.returncode != 0 and "requires a read-only role" in refused.stderr
    assert "CREATE ROLE olympus_ro" in refused.stderr
    listed = cli(home, "connections", "list", "--json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["admin"]
    strict_default = cli(home, "connections", "add", "strict", "--url", pg_db, "--param",
                         "sslmode=disable", env=clean_env(home, OLYMPUS_AUTH="proxy"))
    assert strict_default.returncode != 0, strict_default.stdout
