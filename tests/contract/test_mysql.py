"""MySQL/MariaDB specifics against a real MariaDB server (the contract suite covers the rest).

Not proven here (needs a real MySQL 8 server): MySQL's MAX_EXECUTION_TIME path of begin_readonly
and its "maximum statement execution time exceeded" text, information_schema stats caching
(information_schema_stats_expiry) and /*+ SET_VAR */ hints.
"""

from __future__ import annotations

import json
import time

import pytest

from olympus.catalog import introspect
from olympus.connectors import connector_class, create_connector, sql_policy
from olympus.connectors.mysql import DENIED_FUNCTIONS, MySQL
from olympus.errors import (AuthenticationFailed, ConfigError, PermissionDenied, QueryTimeout,
                            SQLSyntaxError, SSLRequired, UnsafeSQL)
from olympus.guard import check_sql
from olympus.runner import run_query
from tests.contract import schema
from tests.services import mysql_admin
from tests.store_helpers import cli, clean_env

HEAVY = ("SELECT count(*) FROM information_schema.columns a, information_schema.columns b, "
         "information_schema.columns c")


def _only(name):
    """Run on one backend of the contract fixture (indirect parametrization, no skips)."""
    return pytest.mark.parametrize("backend", [name], indirect=True)


def _admin_connector(service, **params) -> MySQL:
    """The admin may write and read files: only the session stands between it and a change."""
    from sqlalchemy.engine import make_url

    url = make_url(service.admin_url)
    return create_connector("mariadb", {"host": service.host, "port": service.port,
                                        "username": url.username, "password": url.password,
                                        "ssl": "disabled", **params})


def _tables(connector) -> list[dict]:
    """The catalog in its external (FEAT-001 JSON) shape."""
    return introspect(connector).to_dict()["tables"]


def _count(connector, table: str) -> int:
    return int(run_query(connector, f"SELECT count(*) FROM {table}", limiter=None).df.iloc[0, 0])


# ---- class declarations (no server) -----------------------------------------------------------


def test_registry_fields_and_validation():
    assert connector_class("mariadb") is MySQL and connector_class("MySQL") is MySQL
    assert MySQL.dialect == "mysql" and MySQL.default_port == 3306
    assert MySQL.secret_fields() == ("password",)
    with pytest.raises(ConfigError) as info:
        MySQL({})
    assert info.value.fields == ("host", "username") and info.value.missing
    with pytest.raises(ConfigError) as info:
        MySQL({"host": "h", "username": "u", "ssl": "sometimes"})
    assert info.value.fields == ("ssl",)
    made = MySQL({"host": "h", "username": "u", "password": "pw"})
    assert made.params["port"] == 3306 and "pw" not in repr(made)
    assert made.clean_version("10.11.6-MariaDB-0+deb12u1") == "MariaDB 10.11.6"
    assert made.clean_version("8.0.36") == "MySQL 8.0.36"


@pytest.mark.parametrize("name", sorted(DENIED_FUNCTIONS))
def test_each_denied_function_is_refused_by_the_guard(name):
    assert sql_policy("mysql") is MySQL.sql_policy
    args = "'x'" if name not in ("release_all_locks", "lastval") else ""
    for spelling in (name, name.upper()):
        with pytest.raises(UnsafeSQL) as info:
            check_sql(f"SELECT a, {spelling}({args}) FROM t", "mysql")
        assert spelling in info.value.message and "not allowed" in info.value.message
    with pytest.raises(UnsafeSQL):  # hidden in a subquery too
        check_sql(f"SELECT * FROM (SELECT {name}({args}) AS v) s", "mysql")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM customers INTO OUTFILE '/tmp/olympus-out'",
    "SELECT name INTO OUTFILE '/tmp/olympus-out' FROM customers",
    "SELECT name FROM customers INTO DUMPFILE '/tmp/olympus-out'",
    "SELECT name INTO @stolen FROM customers LIMIT 1",
])
def test_select_into_files_is_refused_by_the_guard(sql):
    # sqlglot cannot parse MySQL's INTO OUTFILE/DUMPFILE: refused as unreadable, never run
    with pytest.raises((UnsafeSQL, SQLSyntaxError)):
        check_sql(sql, "mysql")


def test_ordinary_mysql_sql_passes_the_guard():
    for sql in ("SELECT `order`.id, DATE_FORMAT(d, '%Y-%m') AS m FROM `order` LIMIT 10",
                "SELECT * FROM t WHERE d >= DATE_SUB(CURDATE(), INTERVAL 30 DAY)",
                "SELECT CONCAT(a, 'x'), IFNULL(b, 0) FROM t"):
        assert check_sql(sql, "mysql") == sql


# ---- the read-only session --------------------------------------------------------------------


@_only("mysql")
def test_session_refuses_writes_that_bypass_the_guard(backend, mysql_server):
    connector = _admin_connector(mysql_server, database=backend.database)
    try:
        for sql in ("INSERT INTO customers (id, name) VALUES (99, 'x')",
                    "UPDATE customers SET name = 'x'", "DELETE FROM orders",
                    "CREATE TEMPORARY TABLE scratch (a int)", "DROP VIEW customer_orders"):
            with pytest.raises(UnsafeSQL) as info:
                with connector.session(5, sql=sql) as cursor:
                    cursor.execute(sql)
            assert "read-only" in info.value.message, sql
        assert _count(connector, "customers") == schema.N_CUSTOMERS
        assert _count(connector, "orders") == schema.N_ORDERS
        assert _count(connector, "customer_orders") == schema.N_ORDERS
    finally:
        connector.dispose()


@_only("mysql")
def test_timeout_fires_in_the_session(backend):
    start = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        with backend.connector.session(1, sql=HEAVY) as cursor:
            cursor.execute(HEAVY)
            cursor.fetchall()
    assert time.monotonic() - start < 10
    assert info.value.title == "Query timed out" and info.value.sql == HEAVY
    with backend.connector.session(1) as cursor:  # the next session has its own budget
        cursor.execute("SELECT @@SESSION.max_statement_time")
        assert float(cursor.fetchone()[0]) == 1.0


@_only("mysql")
def test_one_statement_per_call_and_no_executable_comments(backend, mysql_server):
    with pytest.raises(SQLSyntaxError):  # the driver does not speak multi-statement
        with backend.connector.session(5) as cursor:
            cursor.execute("SELECT 1; SELECT 2")
    connector = _admin_connector(mysql_server, database=backend.database)
    try:
        for sql in ("SELECT 1 /*! , load_file('/etc/hostname') */ FROM customers",
                    "SELECT 1 /*M!100000 , sleep(5) */ FROM customers",
                    "SELECT /*+ MAX_EXECUTION_TIME(100000) */ count(*) FROM customers"):
            with pytest.raises(UnsafeSQL) as info:
                run_query(connector, sql, limiter=None)
            assert "Executable comments" in info.value.message
    finally:
        connector.dispose()


@_only("mysql")
def test_session_pins_the_string_rules_the_guard_assumes(backend, mysql_server):
    mysql_admin(mysql_server.admin_url, [
        "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES,ANSI_QUOTES')"])
    connector = backend.make()
    try:
        with connector.session(5) as cursor:
            cursor.execute("SELECT @@SESSION.sql_mode")
            mode = cursor.fetchone()[0].split(",")
        assert "NO_BACKSLASH_ESCAPES" not in mode and "ANSI_QUOTES" not in mode
        result = run_query(connector, "SELECT 'a\\'b' AS s, \"dq\" AS t", limiter=None)
        assert list(result.df.iloc[0]) == ["a'b", "dq"]
    finally:
        connector.dispose()
        mysql_admin(mysql_server.admin_url, ["SET GLOBAL sql_mode = REPLACE(REPLACE("
                                             "@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES', ''), "
                                             "',ANSI_QUOTES', '')"])


# ---- catalog ----------------------------------------------------------------------------------


@_only("mysql")
def test_catalog_comments_keys_estimates_defaults(backend):
    tables = {t["name"]: t for t in _tables(backend.connector)}
    assert {t["schema"] for t in tables.values()} == {backend.database}
    customers, orders = tables["customers"], tables["orders"]
    assert customers["description"] == "People who buy"
    assert tables["customer_orders"]["description"] is None  # MySQL says 'VIEW' there
    assert customers["primary_key"] == ["id"]
    assert orders["foreign_keys"] == [{"columns": ["customer_id"], "references": {
        "schema": backend.database, "table": "customers", "columns": ["id"]}}]
    assert customers["row_count_estimate"] == schema.N_CUSTOMERS
    cols = {c["name"]: c for c in customers["columns"]}
    assert cols["name"]["description"] == "Full name" and cols["name"]["type"] == "text"
    assert cols["balance"]["type"] == "decimal(10,2)" and cols["active"]["type"] == "tinyint(1)"
    assert cols["signup"]["default"] is None  # MariaDB's 'NULL' expression means no default


@_only("mysql")
def test_without_a_database_every_readable_schema_is_listed(backend, mysql_server):
    connector = backend.make(database=None)
    try:
        assert connector.test().database is None
        schemas = {t["schema"] for t in _tables(connector)}
    finally:
        connector.dispose()
    assert backend.database in schemas
    assert not schemas & {"mysql", "information_schema", "performance_schema", "sys"}


# ---- errors -----------------------------------------------------------------------------------


@_only("mysql")
def test_error_table(backend, mysql_server):
    wrong = backend.make(password="not-the-password")
    assert isinstance(wrong.test().error, AuthenticationFailed)
    hidden = backend.make(database="no_such_db").test().error  # the reader can't tell
    assert isinstance(hidden, PermissionDenied) and "database" in hidden.message
    admin = _admin_connector(mysql_server, database="no_such_db")
    unknown = admin.test().error
    assert isinstance(unknown, ConfigError) and unknown.title == "Unknown database"
    with pytest.raises(SQLSyntaxError) as info:
        run_query(backend.connector, "SELECT * FROM no_such_table", limiter=None)
    assert "doesn't exist" in info.value.message
    with pytest.raises(SQLSyntaxError):
        with backend.connector.session(5) as cursor:
            cursor.execute("SELEC 1")
    for connector in (wrong, admin):
        connector.dispose()


@_only("mysql")
def test_ssl_required_against_a_server_without_tls(backend, mysql_server):
    with backend.connector.session(5) as cursor:
        cursor.execute("SELECT @@have_ssl")
        has_tls = cursor.fetchone()[0] == "YES"
    connector = backend.make(ssl="required")
    try:
        result = connector.test()
    finally:
        connector.dispose()
    if has_tls:
        assert result.ok, result.error
    else:
        assert isinstance(result.error, SSLRequired), repr(result.error)


# ---- the CLI, end to end ----------------------------------------------------------------------


@_only("mysql")
def test_cli_add_schema_sql_ask(backend, mysql_server, tmp_path):
    home = tmp_path / "home"

    def run(*args, input=None, env=None):
        done = cli(home, *args, env=env or clean_env(home), input=input)
        assert done.returncode == 0, done.stderr
        return done

    params = [f"host={mysql_server.host}", f"port={mysql_server.port}",
              f"database={backend.database}", f"username={mysql_server.reader}",
              "password=-", "ssl=disabled"]
    added = run("connections", "add", "shop", "--type", "mysql",
                *[a for p in params for a in ("--param", p)],
                input=mysql_server.reader_password + "\n")
    assert "MySQL / MariaDB" in added.stdout and "MariaDB" in added.stdout
    snapshot = json.loads(run("schema", "shop", "--json").stdout)
    orders = next(t for t in snapshot["tables"] if t["name"] == "orders")
    assert orders["schema"] == backend.database and orders["foreign_keys"]
    data = json.loads(run("sql", "shop", "SELECT id, name FROM customers ORDER BY id",
                          "--format", "json", "--limit", "3").stdout)
    assert data["rows"] == [[1, "Customer 01"], [2, "Customer 02"], [3, "Customer 03"]]
    assert data["truncated"] is True
    refused = cli(home, "sql", "shop", "SELECT load_file('/etc/passwd')", env=clean_env(home))
    assert refused.returncode != 0 and "load_file is not allowed" in refused.stderr
    url = (f"mariadb://{mysql_server.reader}:{mysql_server.reader_password}@"
           f"{mysql_server.host}:{mysql_server.port}/{backend.database}")
    run("connections", "add", "by-url", "--url", url, "--param", "ssl=disabled")
    listed = json.loads(run("connections", "list", "--json").stdout)
    assert {r["name"]: r["type"] for r in listed} == {"shop": "mysql", "by-url": "mysql"}
    assert mysql_server.reader_password not in run("connections", "list").stdout
    _ask(run, home, backend.database)


def _ask(run, home, database: str) -> None:
    """The real agent and OpenAI client against a stand-in server: MySQL rules in the prompt, a
    backticked query runs, a denied function is refused."""
    from tests.agent.fake_openai import FakeOpenAI, run_sql

    with FakeOpenAI() as server:
        server.script(run_sql(f"SELECT COUNT(*) AS n FROM `{database}`.`orders`"))
        env = clean_env(home, OPENAI_API_KEY="sk-test-not-real", OPENAI_BASE_URL=server.base_url)
        data = json.loads(run("ask", "shop", "How many orders?", "--json", env=env).stdout)
        assert data["rows"] == [[schema.N_ORDERS]] and data["error"] is None
        sent = server.sent_text()
        assert "MySQL / MariaDB" in sent and "backticks" in sent and "DATE_SUB" in sent
        server.script(*[run_sql("SELECT SLEEP(5)")] * 3)
        refused = cli(home, "ask", "shop", "Wait a bit", env=env)
        assert refused.returncode != 0 and "SLEEP is not allowed" in refused.stderr + refused.stdout
