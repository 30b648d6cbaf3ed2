"""Every `python -m olympus` command, run as a subprocess the way a user (or a check) runs it."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import duckdb
import psycopg
import pytest
from cryptography.fernet import Fernet

from olympus.crypto import generate_key
from olympus.store import Store
from tests.services import free_port
from tests.store_helpers import clean_env, cli, digest, file_bytes, make_settings, with_password

PASSWORD = "Cli-Pa55-9f3e1c"


@pytest.fixture()
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture()
def pg_db(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), note text)")
        conn.execute("COMMENT ON TABLE orders IS 'Customer orders'")
        conn.execute("INSERT INTO orders SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 30) g")
    return pg_url


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def failed(result, *needles: str) -> str:
    """Non-zero exit with exactly one clear stderr line containing every needle."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def listed(home, **env) -> list[dict]:
    return json.loads(ok(cli(home, "connections", "list", "--json",
                             env=clean_env(home, **env))).stdout)


def orders_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from orders").fetchone()[0]


def test_help_documents_secret_sources(home):
    text = ok(cli(home, "connections", "add", "--help")).stdout
    assert "password=-" in text and "@env:" in text and "OLYMPUS_PARAM_" in text
    assert "--save-untested" in text and "--no-test" in text
    top = ok(cli(home, "--help")).stdout
    for command in ("connections", "schema", "sql", "ask", "keys", "demo"):
        assert command in top


def test_keys_generate_prints_a_working_key(home):
    key = ok(cli(home, "keys", "generate")).stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
    assert not home.exists()  # no store needed to make a key


def test_postgres_by_url_end_to_end(home, pg_db):
    url = with_password(pg_db, PASSWORD)
    out = ok(cli(home, "connections", "add", "warehouse", "--url", url)).stdout
    assert "Saved connection 'warehouse'" in out and "PostgreSQL" in out
    [record] = listed(home)
    assert record["name"] == "warehouse" and record["type"] == "postgresql"
    assert record["secret_fields_set"] == ["url"] and record["last_test_status"] == "ok"
    table = ok(cli(home, "connections", "list")).stdout
    assert "warehouse" in table and PASSWORD not in table

    assert ok(cli(home, "connections", "test", "warehouse")).stdout.startswith("OK")
    tested = json.loads(ok(cli(home, "connections", "test", "warehouse", "--json")).stdout)
    assert tested["ok"] is True and tested["server_version"].startswith("PostgreSQL")

    schema = cli(home, "schema", "warehouse", "--json")
    snapshot = json.loads(ok(schema).stdout)
    orders = next(t for t in snapshot["tables"] if t["name"] == "orders")
    assert orders["description"] == "Customer orders" and orders["primary_key"] == ["id"]
    assert [c["name"] for c in orders["columns"]] == ["id", "amount", "note"]
    assert "Reading" in schema.stderr  # progress went to stderr
    cached = cli(home, "schema", "warehouse")
    assert "public.orders" in ok(cached).stdout and "Reading" not in cached.stderr
    assert "Reading" in ok(cli(home, "schema", "warehouse", "--refresh", "--json")).stderr
    # the FEAT-001 shape, keys in their documented order
    assert list(snapshot) == ["tables", "introspected_at"]
    assert list(orders) == ["schema", "name", "kind", "description", "columns", "primary_key",
                            "foreign_keys", "row_count_estimate"]
    assert list(orders["columns"][0]) == ["name", "type", "nullable", "description", "default"]
    found = ok(cli(home, "schema", "warehouse", "--search", "CUSTOMER ORD"))
    assert "public.orders" in found.stdout
    assert f"1 of {len(snapshot['tables'])} tables" in found.stderr

    sql = "select id, amount, note from orders order by id"
    data = json.loads(ok(cli(home, "sql", "warehouse", sql, "--format", "json",
                             "--limit", "5")).stdout)
    assert set(data) == {"columns", "rows", "row_count", "truncated", "elapsed_ms", "sql"}
    assert data["columns"] == ["id", "amount", "note"] and data["row_count"] == 5
    assert data["rows"][0][0] == 1 and data["rows"][0][2] == "n1" and data["truncated"] is True
    rows = list(csv.reader(io.StringIO(ok(cli(home, "sql", "warehouse", sql, "--format",
                                              "csv")).stdout)))
    assert rows[0] == ["id", "amount", "note"] and len(rows) == 31 and rows[30][2] == "n30"
    text = ok(cli(home, "sql", "warehouse", "select count(*) as n from orders")).stdout
    assert text.splitlines()[0].split() == ["n"] and text.splitlines()[2].strip() == "30"

    before = listed(home)
    line = failed(cli(home, "sql", "warehouse", "delete from orders"), "Statement refused")
    assert "DELETE" in line
    failed(cli(home, "sql", "warehouse", "select 1; drop table orders"), "Statement refused")
    assert orders_count(pg_db) == 30
    after = listed(home)
    assert [{k: v for k, v in r.items() if k != "last_used"} for r in after] == \
        [{k: v for k, v in r.items() if k != "last_used"} for r in before]

    failed(cli(home, "sql", "nope", "select 1"), "No connection named 'nope'", "warehouse")
    failed(cli(home, "schema", "nope"), "Existing connections: warehouse")
    failed(cli(home, "sql", "warehouse", "select missing_column from orders"), "SQL error")
    ok(cli(home, "connections", "remove", "warehouse"))
    assert listed(home) == []
    failed(cli(home, "connections", "remove", "warehouse"), "no connections yet")
    assert PASSWORD.encode() not in file_bytes(home / "olympus.db")


def test_failing_connection_is_not_saved_unless_asked(home):
    args = ["--type", "postgresql", "--param", "host=127.0.0.1", "--param",
            f"port={free_port()}", "--param", "username=u", "--param", "password=-"]
    line = failed(cli(home, "connections", "add", "down", *args, input=PASSWORD + "\n"),
                  "Connection refused", "Not saved")
    assert PASSWORD not in line
    assert listed(home) == []
    ok(cli(home, "connections", "add", "down", *args, "--save-untested", input=PASSWORD + "\n"))
    [record] = listed(home)
    assert record["last_test_status"] == "failed" and record["params"]["host"] == "127.0.0.1"
    failed(cli(home, "connections", "test", "down"), "Connection refused")
    result = cli(home, "connections", "test", "down", "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["ok"] is False
    ok(cli(home, "connections", "add", "later", *args[:-1], "password=x", "--no-test"))
    assert [r["last_test_status"] for r in listed(home)] == ["failed", None]


def test_secrets_from_stdin_and_environment(home, pg_db):
    env = clean_env(home, MY_PG_PASSWORD="from-env-var-1", OLYMPUS_PARAM_PASSWORD="from-prefix-2")
    base = ["--type", "postgresql", "--param", "host=127.0.0.1",
            "--param", "username=u", "--no-test"]
    ok(cli(home, "connections", "add", "a", *base, "--param", "password=@env:MY_PG_PASSWORD",
           env=env))
    ok(cli(home, "connections", "add", "b", *base, env=env))
    ok(cli(home, "connections", "add", "c", *base, "--param", "password=-", input="from-stdin-3\n"))
    ok(cli(home, "connections", "add", "d", "--url", "-", "--no-test",
           input=with_password(pg_db, "from-stdin-url-4") + "\n"))
    failed(cli(home, "connections", "add", "e", *base, "--param", "password=@env:NOT_SET_ANYWHERE"),
           "NOT_SET_ANYWHERE")
    store = Store.from_settings(make_settings(home))
    assert [store.connector("local", n).params.get("password") for n in "abc"] == [
        "from-env-var-1", "from-prefix-2", "from-stdin-3"]
    assert "from-stdin-url-4" in store.connector("local", "d").params["url"]
    store.dispose()
    assert b"from-" not in file_bytes(home / "olympus.db")


def test_duckdb_and_sqlite_files(home, tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table items as select range as id from range(7)")
    con.close()
    ok(cli(home, "connections", "add", "shop", "--type", "duckdb", "--param", f"path={path}"))
    assert ok(cli(home, "sql", "shop", "select count(*) from items", "--format",
                  "csv")).stdout.splitlines()[1] == "7"
    ok(cli(home, "connections", "add", "shop2", "--url", f"duckdb:///{path}"))
    assert listed(home)[1]["params"] == {"path": str(path)}
    ok(cli(home, "connections", "add", "shop3", "--type", "duckdb", "--param",
           f"path={path.name}", cwd=tmp_path))  # stored absolute: works from any directory
    assert listed(home)[2]["params"] == {"path": str(path)}
    ok(cli(home, "sql", "shop3", "select 1"))
    failed(cli(home, "connections", "add", "lite", "--type", "sqlite",
               "--param", f"path={tmp_path / 'missing.db'}"), "Not saved")
    failed(cli(home, "connections", "add", "x", "--type", "oracle"), "Supported")
    failed(cli(home, "connections", "add", "x", "--param", "path=a"), "--type")
    failed(cli(home, "connections", "add", "x", "--type", "duckdb", "--param", "colour=red"),
           "Unknown setting")
    bad_limit = cli(home, "sql", "shop", "select 1", "--limit", "0")
    assert bad_limit.returncode == 2 and "at least 1" in bad_limit.stderr


def test_add_names_the_params_the_connector_rejects(home):
    """The connector's own validate() decides; the error says which --param to add or fix."""
    line = failed(cli(home, "connections", "add", "x", "--type", "postgresql", "--no-test"),
                  "Missing required setting(s): Host, Username")
    assert "--param host=..., --param username=..." in line and "OLYMPUS_PARAM_HOST" in line
    failed(cli(home, "connections", "add", "x", "--type", "postgresql", "--param", "host=h",
               "--param", "username=u", "--param", "port=abc", "--no-test"),
           "Port must be a whole number", "Check --param port=...")
    failed(cli(home, "connections", "add", "x", "--type", "duckdb", "--param", "path=/x",
               "--param", "colour=red", "--no-test"), "Unknown setting", "--param colour=...")
    failed(cli(home, "connections", "add", "x", "--type", "snowflake", "--param", "account=a",
               "--param", "user=u", "--param", "database=d", "--no-test"),
           "Password (or Private key)", "Add --param password=...")
    assert "No connections yet" in ok(cli(home, "connections", "list")).stdout


def test_wrong_key_fails_clearly_and_changes_nothing(home, pg_db):
    key, wrong = generate_key(), generate_key()
    ok(cli(home, "connections", "add", "pg", "--url", with_password(pg_db, PASSWORD),
           env=clean_env(home, OLYMPUS_SECRET_KEY=key)))
    before = digest(file_bytes(home / "olympus.db"))
    bad = clean_env(home, OLYMPUS_SECRET_KEY=wrong)
    for args in (["connections", "list"], ["connections", "test", "pg"],
                 ["sql", "pg", "select 1"], ["schema", "pg"], ["keys", "rotate"],
                 ["connections", "add", "other", "--type", "duckdb", "--param", "path=/x"],
                 ["connections", "remove", "pg"], ["demo"]):
        failed(cli(home, *args, env=bad), "Wrong secret key", "OLYMPUS_SECRET_KEY", "keys rotate")
    failed(cli(home, "sql", "pg", "select 1", env=clean_env(home, OLYMPUS_SECRET_KEY="garbage")),
           "Invalid secret key")
    assert digest(file_bytes(home / "olympus.db")) == before
    assert not (home / "demo.duckdb").exists() and not (home / "secret.key").exists()
    assert listed(home, OLYMPUS_SECRET_KEY=key)[0]["name"] == "pg"


def test_keys_rotate(home, pg_db):
    old, new = generate_key(), generate_key()
    ok(cli(home, "connections", "add", "pg", "--url", pg_db,
           env=clean_env(home, OLYMPUS_SECRET_KEY=old)))
    out = ok(cli(home, "keys", "rotate", env=clean_env(home, OLYMPUS_SECRET_KEY=f"{new},{old}")))
    assert "Re-encrypted 1 connection" in out.stdout
    failed(cli(home, "connections", "test", "pg", env=clean_env(home, OLYMPUS_SECRET_KEY=old)),
           "Wrong secret key")
    ok(cli(home, "connections", "test", "pg", env=clean_env(home, OLYMPUS_SECRET_KEY=new)))


def test_local_key_generated_once_and_said_once(home, tmp_path):
    first = ok(cli(home, "connections", "add", "a", "--type", "postgresql", "--param", "host=h",
                   "--param", "username=u", "--param", "password=p1", "--no-test"))
    assert "generated a secret key" in first.stderr
    second = ok(cli(home, "connections", "add", "b", "--type", "postgresql", "--param", "host=h",
                    "--param", "username=u", "--param", "password=p2", "--no-test"))
    assert "generated a secret key" not in second.stderr
    assert oct((home / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_ask_without_an_agent_or_key_is_a_clear_error(home):
    ok(cli(home, "connections", "add", "f", "--type", "duckdb", "--param", "path=/x.duckdb",
           "--no-test"))
    line = failed(cli(home, "ask", "f", "how many orders?"), "configured")
    assert "OPENAI_API_KEY" in line


def _content_hash(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    digest_ = hashlib.sha256()
    for (table,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall():
        for row in con.execute(f'select * from "{table}" order by all').fetchall():
            digest_.update(repr(row).encode())
    con.close()
    return digest_.hexdigest()


def test_demo_works_resets_alone_and_is_deterministic(home, tmp_path):
    out = ok(cli(home, "demo")).stdout
    assert "Built the demo database" in out and "Demo" in out
    data = json.loads(ok(cli(home, "sql", "Demo", "select count(*) as n from loans",
                             "--format", "json")).stdout)
    assert data["columns"] == ["n"] and data["rows"][0][0] > 1000
    ok(cli(home, "connections", "add", "mine", "--type", "duckdb", "--param",
           f"path={tmp_path / 'mine.duckdb'}", "--no-test"))
    first_hash = _content_hash(home / "demo.duckdb")
    mine_before = [r for r in listed(home) if r["name"] == "mine"]
    assert "Already there" in ok(cli(home, "demo")).stdout
    ok(cli(home, "demo", "--reset"))
    assert [r for r in listed(home) if r["name"] == "mine"] == mine_before
    assert [r["name"] for r in listed(home)] == ["Demo", "mine"]
    assert _content_hash(home / "demo.duckdb") == first_hash  # rebuilt from scratch, same data
    counts = " + ".join(f"(select count(*) from {t})" for t in
                        ("branches", "customers", "loans", "payments", "delinquencies"))
    total = json.loads(ok(cli(home, "sql", "Demo", f"select {counts} as n", "--format",
                              "json")).stdout)["rows"][0][0]
    assert total >= 150_000


def test_url_is_split_into_fields_with_the_password_secret():
    from olympus.cli import url_params
    from olympus.connectors import connector_class

    pg = connector_class("postgresql")
    assert url_params(pg, "postgres://ana:p%40ss@db.example.com:6543/sales?sslmode=require") == {
        "host": "db.example.com", "port": 6543, "database": "sales", "username": "ana",
        "password": "p@ss", "sslmode": "require"}
    socket_url = "postgresql://postgres:pw@/db?host=/tmp/sock"
    assert url_params(pg, socket_url) == {"url": socket_url}  # kept whole, stored encrypted
    assert url_params(connector_class("sqlite"), "sqlite:////data/x.db") == {"path": "/data/x.db"}


def test_url_splitting_lives_with_the_parameters_not_the_cli():
    """One implementation for the CLI's --url and the UI: olympus.params."""
    from olympus import cli, params
    from olympus.connectors import connector_class
    from olympus.errors import ConfigError

    assert cli.url_params is params.url_params and cli.url_backend is params.url_backend
    assert params.url_backend("postgres://a@h/db") == "postgresql"
    assert params.url_params(connector_class("duckdb"), "duckdb:////data/x.duckdb") == {
        "path": "/data/x.duckdb"}
    with pytest.raises(ConfigError, match="don't take a URL"):
        params.url_params(connector_class("snowflake"), "snowflake://u:p@acct/db")


def test_ask_through_a_stand_in_openai_server(home, tmp_path):
    """The real agent + real OpenAI client over HTTP; only the model's replies are scripted."""
    from tests.agent.fake_openai import FakeOpenAI, run_sql

    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table orders as select range as id, range * 2 as amount from range(12)")
    con.close()
    ok(cli(home, "connections", "add", "shop", "--type", "duckdb", "--param", f"path={path}"))
    with FakeOpenAI() as server:
        server.script(run_sql("SELECT count(*) AS n FROM main.orders"))
        env = clean_env(home, OPENAI_API_KEY="sk-test-not-real", OPENAI_BASE_URL=server.base_url)
        data = json.loads(ok(cli(home, "ask", "shop", "How many orders?", "--json",
                                 env=env)).stdout)
        assert data["sql"] == "SELECT count(*) AS n FROM main.orders" and data["rows"] == [[12]]
        assert data["error"] is None and server.requests
        server.script(*[run_sql("DELETE FROM main.orders")] * 3)
        failed(cli(home, "ask", "shop", "Delete everything", env=env))
    assert json.loads(ok(cli(home, "sql", "shop", "select count(*) from orders", "--format",
                             "json")).stdout)["rows"] == [[12]]


# ---- the analyst's desk: CLI fixes --------------------------------------------------------------
def test_dates_print_as_dates_and_json_everywhere_is_indented(home, tmp_path):
    path = tmp_path / "dates.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT DATE '2020-01-01' AS d, "
                "TIMESTAMP '2020-01-02 03:04:05' AS ts")
    con.close()
    ok(cli(home, "connections", "add", "d", "--type", "duckdb", "--param", f"path={path}"))
    table = ok(cli(home, "sql", "d", "SELECT d, ts FROM t"))
    assert "2020-01-01 " in table.stdout and "2020-01-01T00:00" not in table.stdout
    data = json.loads(ok(cli(home, "sql", "d", "SELECT d FROM t", "--format", "json")).stdout)
    assert data["rows"] == [["2020-01-01"]]
    schema = ok(cli(home, "schema", "d", "--json")).stdout
    assert schema.startswith("{\n  ") and json.loads(schema)["tables"][0]["name"] == "t"


def test_ask_json_failures_are_json(home):
    done = cli(home, "ask", "missing", "How many?", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["type"] == "not_found"


def test_connections_types_lists_every_field(home):
    data = json.loads(ok(cli(home, "connections", "types", "--json")).stdout)
    by_type = {row["type"]: row for row in data}
    assert {"postgresql", "mysql", "duckdb", "snowflake", "bigquery"} <= set(by_type)
    pg_fields = {f["name"]: f for f in by_type["postgresql"]["fields"]}
    assert pg_fields["password"]["secret"] and not pg_fields["host"]["secret"]
    assert "mariadb" in by_type["mysql"]["aliases"]
    assert "--param path=" in ok(cli(home, "connections", "types")).stdout


def test_keys_rotate_with_one_key_says_how_to_rotate(home):
    ok(cli(home, "demo"))
    said = ok(cli(home, "keys", "rotate")).stdout  # the key is a file: where, and the steps
    assert "only one key" in said and str(home / "secret.key") in said and "NEW,OLD" in said
