"""The `backend` fixture: one connector per database, the same fixture schema, declared gaps."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from olympus.connectors import create_connector
from olympus.connectors.base import Connector
from olympus.connectors.traits import Capabilities
from olympus.errors import PermissionDenied, SQLSyntaxError
from tests.contract import schema
from tests.contract.gaps import Gap, expected, gap_table
from tests.services import free_port, unavailable

BACKENDS = ("postgresql", "redshift", "snowflake", "bigquery", "duckdb", "sqlite", "mysql")
from tests.conftest import PW_ROLE, PW_SECRET as SECRET  # noqa: F401  (re-exported for tests)


@dataclass
class Backend:
    """Everything the contract tests need to know about one database under test."""

    name: str
    connector: Connector
    database: str  # what test() must report as the database/project
    slow_sql: str | None  # a query that runs well past 1 s
    gaps: tuple[Gap, ...] | dict[str, Gap] = ()  # what this environment can't prove
    table_prefix: str = ""  # BigQuery: "dataset."; elsewhere unqualified names resolve
    schema: str | None = None  # where the fixture tables live in the catalog
    wrong_password: Callable[[], Connector] | None = None  # None: the engine has no passwords
    refused: Callable[[], Connector] | None = None  # same target, nothing listening
    refused_message: str | None = "Nothing is listening at that host and port."
    make: Callable[..., Connector] | None = None  # build another connector with extra params

    def __post_init__(self) -> None:
        self.gaps = gap_table(self.gaps)
        restated = [g for g in self.gaps if self.capabilities.as_dict().get(g) is False]
        assert not restated, (f"{self.name}: gaps {restated} restate what the connector class "
                              "already declares absent (capabilities); remove them")

    @property
    def capabilities(self) -> Capabilities:
        """What the connector class says the database has: absences are asserted, not gaps."""
        return type(self.connector).capabilities

    def t(self, table: str) -> str:
        return f"{self.table_prefix}{table}"

    def gap(self, capability: str):
        """Around the checks of one capability: a declared gap must fail exactly as declared
        (then the test xfails); see tests/contract/gaps.py."""
        return expected(self.name, capability, self.gaps.get(capability))


@pytest.fixture(params=BACKENDS)
def backend(request) -> Backend:
    """Each contract test runs once per backend, against a fresh copy of the fixture schema."""
    made = BUILDERS[request.param](request)
    yield made
    made.connector.dispose()


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_exec(url: str, statements: list[str]) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
    engine.dispose()


def _pg_url(url: str, *, user: str | None = None, password: str | None = None,
            host: str | None = None, port: int | None = None) -> str:
    parsed = make_url(url)
    changes = {k: v for k, v in dict(username=user, password=password, port=port).items() if v}
    if host:
        parsed = parsed.set(host=host, query={k: v for k, v in parsed.query.items() if k != "host"})
    return parsed.set(**changes).render_as_string(hide_password=False)


def _pg_common(request, kind: str, setup: list[str]) -> Backend:
    url = request.getfixturevalue("pg_url")
    role = request.getfixturevalue("pg_password_role")
    _pg_exec(url, schema.standard() + ["ANALYZE"] + setup)
    if setup:  # the stand-in's search_path is set per database: new sessions see it
        _pg_exec(url, [f'ALTER DATABASE "{make_url(url).database}" SET search_path = '
                       "redshift_sim, pg_catalog, public"])
    good = _pg_url(url, user=role, password=SECRET)

    def make(**extra) -> Connector:
        return create_connector(kind, {"url": good, "sslmode": "disable", **extra})

    return Backend(
        kind, make(), make_url(url).database,
        slow_sql="SELECT count(*) FROM generate_series(1, 500000000)", schema="public",
        wrong_password=lambda: make(url=_pg_url(url, user=role, password="wrong-" + SECRET)),
        refused=lambda: make(url=_pg_url(url, user=role, password=SECRET, host="127.0.0.1",
                                         port=free_port())),
        make=make)


def _postgresql(request) -> Backend:
    return _pg_common(request, "postgresql", [])


# Stand-ins for the Redshift system views the connector reads, built over pg_catalog. They live in
# their own schema, first on the database's search_path, so the real connector SQL runs unchanged.
REDSHIFT_STANDIN = [
    "CREATE SCHEMA redshift_sim",
    """CREATE FUNCTION redshift_sim.version() RETURNS text LANGUAGE sql AS $$
       SELECT 'PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 '
              '(Red Hat 3.4.2-6.fc3), Redshift 1.0.77467'::text $$""",
    """CREATE VIEW redshift_sim.svv_tables AS
       SELECT table_catalog::text, table_schema::text, table_name::text, table_type::text,
              NULL::text AS remarks
       FROM information_schema.tables WHERE table_schema <> 'redshift_sim'""",
    """CREATE VIEW redshift_sim.svv_columns AS
       SELECT c.table_catalog::text, c.table_schema::text, c.table_name::text,
              c.column_name::text, c.ordinal_position::int, c.column_default::text,
              c.is_nullable::text, c.data_type::text, c.character_maximum_length::int,
              c.numeric_precision::int, c.numeric_scale::int, NULL::text AS remarks
       FROM information_schema.columns c WHERE c.table_schema <> 'redshift_sim'""",
    """CREATE VIEW redshift_sim.svv_table_info AS
       SELECT current_database()::text AS database, n.nspname::text AS schema, c.oid AS table_id,
              c.relname::text AS "table", c.reltuples::numeric(38,0) AS tbl_rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND c.reltuples > 0
         AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'redshift_sim')""",
]


def _redshift(request) -> Backend:
    return _pg_common(request, "redshift", REDSHIFT_STANDIN)


# --- Snowflake (fakesnow server) ---------------------------------------------------------------

FAKESNOW_GAPS = (
    Gap("statement_timeout", raises=pytest.fail.Exception, match=r"DID NOT RAISE",
        why="fakesnow implements neither STATEMENT_TIMEOUT_IN_SECONDS nor query abort"),
    Gap("passwords", raises=AssertionError, match=r"^a wrong credential connected",
        why="fakesnow accepts any user/password"),
    Gap("foreign_keys", raises=AssertionError, match=r"^foreign keys of orders: \[\]",
        why="fakesnow has no SHOW IMPORTED KEYS IN DATABASE, and IN SCHEMA returns the primary "
            "keys with empty pk_* columns"),
    Gap("column_comments", raises=AssertionError, match=r"^comment on customers\.name: None",
        why="fakesnow drops inline column COMMENT and ALTER COLUMN ... COMMENT"),
    Gap("explain", raises=SQLSyntaxError, match=r'syntax error at or near "USING"',
        why="fakesnow's server can't run EXPLAIN USING JSON (DuckDB underneath)"),
)


def _snowflake(request) -> Backend:
    server = request.getfixturevalue("snowflake_server")
    url, connect_args = request.getfixturevalue("snowflake_db")
    database = make_url(url).database.split("/")[0]
    engine = create_engine(url, connect_args=connect_args)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {database}"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {database}.PUBLIC"))
        conn.execute(text(f"USE SCHEMA {database}.PUBLIC"))
        for sql in schema.snowflake():
            conn.execute(text(sql))
    engine.dispose()
    base = {"account": server["account"], "user": server["user"], "password": server["password"],
            "database": database, "schema": "PUBLIC", "host": server["host"],
            "port": server["port"], "protocol": server["protocol"]}

    def make(**extra) -> Connector:
        return create_connector("snowflake", {**base, **extra})

    return Backend(
        "snowflake", make(), database,
        # ~3 s on fakesnow: long enough to outlive a 1 s timeout if one were enforced
        slow_sql="SELECT sum(random()) FROM TABLE(GENERATOR(ROWCOUNT => 100000000))",
        gaps=FAKESNOW_GAPS, schema="PUBLIC",
        wrong_password=lambda: make(password="wrong-" + SECRET),
        refused=lambda: make(port=free_port(), password=SECRET), make=make,
        # the Snowflake connector retries and reports no socket error: it can't tell the cause
        refused_message="The server could not be reached.")


# --- BigQuery (bqemulator) ---------------------------------------------------------------------

BQEMU_GAPS = (
    Gap("primary_keys", raises=AssertionError, match=r"^primary key of customers: \[\]",
        why="bqemulator rejects PRIMARY KEY ... NOT ENFORCED and has no "
            "INFORMATION_SCHEMA.TABLE_CONSTRAINTS/KEY_COLUMN_USAGE"),
    Gap("foreign_keys", raises=AssertionError, match=r"^foreign keys of orders: \[\]",
        why="bqemulator rejects FOREIGN KEY ... NOT ENFORCED and has no constraint views"),
    Gap("column_comments", raises=AssertionError, match=r"^comment on customers\.name: None",
        why="bqemulator drops column descriptions and has no COLUMN_FIELD_PATHS"),
    Gap("row_estimates", raises=AssertionError,
        match=r"^row estimates: \{'customers': 0, 'orders': 0\}",
        why="bqemulator has no __TABLES__ and reports numRows 0 after DML inserts"),
    Gap("passwords", raises=AssertionError, match=r"^a wrong credential connected",
        why="the emulator endpoint uses anonymous credentials; a wrong service-account key is "
            "only refused by Google"),
)


def _bigquery(request) -> Backend:
    project, endpoint = request.getfixturevalue("bigquery_server")
    client = request.getfixturevalue("bigquery_client")
    dataset = request.getfixturevalue("bigquery_dataset")
    for sql in schema.bigquery(dataset):
        client.query(sql).result()

    def make(**extra) -> Connector:
        return create_connector("bigquery", {"project": project, "dataset": dataset,
                                             "api_endpoint": endpoint, **extra})

    fake_key = ('{"type": "service_account", "project_id": "%s", "private_key_id": "%s"}'
                % (project, SECRET))
    return Backend(
        "bigquery", make(), project,
        slow_sql="SELECT COUNT(*) FROM UNNEST(GENERATE_ARRAY(1, 3000000)) a "
                 "CROSS JOIN UNNEST(GENERATE_ARRAY(1, 5000)) b",
        gaps=BQEMU_GAPS, table_prefix=f"{dataset}.", schema=dataset,
        wrong_password=lambda: make(credentials_json=fake_key),
        refused=lambda: make(api_endpoint=f"http://127.0.0.1:{free_port()}"), make=make)


# --- DuckDB / SQLite (files) ---------------------------------------------------------------------


def _duckdb(request) -> Backend:
    import duckdb

    path = str(request.getfixturevalue("tmp_path") / "contract.duckdb")
    con = duckdb.connect(path)
    for sql in schema.standard(text="varchar"):
        con.execute(sql)
    con.close()
    return Backend(
        "duckdb", create_connector("duckdb", {"path": path}), "contract",
        slow_sql="SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b",
        schema="main", refused=lambda: create_connector("duckdb", {"path": path + ".missing"}),
        refused_message=None)


# Comments are absent by the class's own declaration (capabilities), so they are no gap here.
SQLITE_GAPS = (
    Gap("temporal_types", raises=AssertionError, match=r"^signup is string",
        why="SQLite stores dates/timestamps as text"),
    Gap("boolean_type", raises=AssertionError, match=r"^active is int64",
        why="SQLite stores booleans as integers"),
    Gap("numeric_type", raises=AssertionError, match=r"^balance is int64",
        why="SQLite's NUMERIC affinity stores 21.0 as the integer 21"),
)


def _sqlite(request) -> Backend:
    path = str(request.getfixturevalue("tmp_path") / "contract.sqlite")
    con = sqlite3.connect(path)
    for sql in schema.standard(comments=False, bools=("0", "1")):
        con.execute(re.sub(r"(DATE|TIMESTAMP) '", "'", sql))
    con.commit()
    con.close()
    return Backend(
        "sqlite", create_connector("sqlite", {"path": path}), "contract.sqlite",
        slow_sql="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                 "WHERE x < 1000000000) SELECT count(*) FROM c",
        gaps=SQLITE_GAPS,
        schema="main", refused=lambda: create_connector("sqlite", {"path": path + ".missing"}),
        refused_message=None)


# --- MySQL / MariaDB (mariadbd in a temp datadir) ------------------------------------------------

MYSQL_GAPS = (
    Gap("boolean_type", raises=AssertionError, match=r"^active is int",
        why="MySQL has no boolean type: BOOLEAN is TINYINT(1), read as integers"),
    Gap("read_only_session", raises=PermissionDenied, match=r"^You don't have permission",
        why="the contract's reader may only SELECT, so the privilege check refuses a write before "
            "the read-only transaction can; test_mysql proves the session with the admin user"),
)


def _mysql(request) -> Backend:
    """A fresh database per test, readable (SELECT only) by the session's least-privilege user."""
    import uuid

    from tests.services import mysql_admin

    service = request.getfixturevalue("mysql_server")
    database = f"t_{uuid.uuid4().hex[:12]}"
    grant = f"ON `{database}`.* TO '{service.reader}'@'%'"
    mysql_admin(service.admin_url, [f"CREATE DATABASE `{database}`", f"GRANT SELECT {grant}"])
    request.addfinalizer(lambda: mysql_admin(service.admin_url, [
        f"REVOKE ALL PRIVILEGES {grant.replace(' TO ', ' FROM ')}", f"DROP DATABASE `{database}`"]))
    mysql_admin(service.admin_url, schema.mysql(), database=database)
    base = {"host": service.host, "port": service.port, "database": database,
            "username": service.reader, "password": service.reader_password, "ssl": "disabled"}

    def make(**extra) -> Connector:
        return create_connector("mysql", {**base, **extra})

    return Backend(
        "mysql", make(), database,
        slow_sql="SELECT count(*) FROM information_schema.columns a, "
                 "information_schema.columns b, information_schema.columns c",
        gaps=MYSQL_GAPS, schema=database,
        wrong_password=lambda: make(password="wrong-" + SECRET),
        refused=lambda: make(port=free_port()), make=make)


BUILDERS = {"mysql": _mysql,
            "postgresql": _postgresql, "redshift": _redshift, "snowflake": _snowflake,
            "bigquery": _bigquery, "duckdb": _duckdb, "sqlite": _sqlite}
