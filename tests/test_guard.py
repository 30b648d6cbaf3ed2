"""The read-only guard: attacks refused with a clear reason, tricky reads let through verbatim,
and a real PostgreSQL canary that must not change (the session's own refusal is the second wall)."""

from __future__ import annotations

import logging
import os
import dataclasses
import re

import pytest
from sqlalchemy import create_engine, text

from olympus.errors import OlympusError, SQLSyntaxError, UnsafeSQL
from olympus.connectors import all_classes, connector_class
from olympus.guard import check_sql, strip_fences
from tests.attack_corpus import ATTACKS, SAFE

# Every PostgreSQL function the issue names (and a few more), each as a bare call.
REQUIRED_PG_DENIALS = (
    "set_config", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "lo_import",
    "lo_export", "lo_unlink", "lo_create", "lo_from_bytea", "lo_put", "lo_get", "lo_open",
    "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_ls_logdir", "pg_stat_file",
    "dblink", "dblink_exec", "dblink_connect", "query_to_xml", "query_to_xml_and_xmlschema",
    "query_to_xmlschema", "table_to_xml", "table_to_xmlschema", "cursor_to_xml",
    "database_to_xml", "schema_to_xml", "nextval", "setval", "pg_advisory_lock",
    "pg_advisory_xact_lock_shared", "pg_try_advisory_lock", "pg_advisory_unlock_all", "pg_sleep",
    "pg_sleep_until", "pg_switch_wal", "pg_create_restore_point", "pg_rotate_logfile",
    "pg_promote", "pg_logical_emit_message", "pg_notify",
)
ALLOWED_LOOKALIKES = ("lower('A')", "log(10, 100)", "lpad('a', 3)", "current_setting('TimeZone')",
                      "pg_size_pretty(1)", "pg_backend_pid()", "txid_current_if_assigned()",
                      "pg_current_xact_id_if_assigned()", "pg_stat_get_numscans(1)")
# Names the database doesn't have: refused as unknown, but not by a deny-list prefix that happens
# to match (pg_sleep*, nextval*, lo*, set*) once the database says they are safe.
USER_LOOKALIKES = ("pg_sleepy_report", "nextvalue", "lookup", "setvalue")


@pytest.fixture(autouse=True)
def _quiet_sqlglot(caplog):
    """sqlglot warns when it falls back to a generic command; refusing those is the point."""
    caplog.set_level(logging.ERROR, logger="sqlglot")


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and \
        re.search(r"[.!?]\s+[A-Z]", message[:-1]) is None


def _id(dialect: str, sql: str) -> str:
    return f"{dialect}:" + re.sub(r"\s+", " ", sql)[:50]


# ---- the corpus -------------------------------------------------------------------------------
def test_corpus_is_broad():
    assert len(ATTACKS) >= 217 and len(SAFE) >= 30  # 177 + 40 after the second review
    assert {d for d, _, _ in ATTACKS} == {d for d, _ in SAFE} == \
        {"postgres", "redshift", "snowflake", "bigquery", "duckdb", "sqlite", "mysql"}


@pytest.mark.parametrize("dialect, sql, expected", ATTACKS,
                         ids=[_id(d, s) for d, s, _ in ATTACKS])
def test_attack_is_refused_with_a_one_sentence_reason(dialect, sql, expected):
    with pytest.raises(UnsafeSQL) as info:
        check_sql(sql, dialect)
    assert expected.lower() in info.value.message.lower()
    assert _one_sentence(info.value.message), info.value.message
    assert info.value.sql == sql


@pytest.mark.parametrize("dialect, sql", SAFE, ids=[_id(d, s) for d, s in SAFE])
def test_tricky_read_passes_verbatim(dialect, sql, learned):
    assert check_sql(sql, dialect, policy=learned(dialect)) == sql


@pytest.mark.parametrize("dialect", ["postgres", "redshift"])
@pytest.mark.parametrize("name", REQUIRED_PG_DENIALS)
def test_side_effect_function_refused_however_written(dialect, name):
    for call in (f"{name}(1)", f"pg_catalog.{name}(1)", f'"{name.upper()}"(1)',
                 f"{name.title()}(1)", f'"pg_catalog"."{name}"(1)'):
        with pytest.raises(UnsafeSQL, match=rf"(?i)Function {re.escape(name)} is not allowed"):
            check_sql(f"SELECT {call} FROM canary WHERE id > 0", dialect)


@pytest.mark.parametrize("call", ALLOWED_LOOKALIKES)
def test_lookalike_functions_are_allowed(call, learned):
    sql = f"SELECT {call} AS x"
    assert check_sql(sql, "postgres", policy=learned("postgres")) == sql


@pytest.mark.parametrize("name", USER_LOOKALIKES)
def test_unknown_functions_are_refused_until_the_database_vouches_for_them(name, learned):
    sql = f"SELECT {name}(1) AS x"
    with pytest.raises(UnsafeSQL, match=f"Function {name} is not allowed: it is not a function"):
        check_sql(sql, "postgres", policy=learned("postgres"))
    vouched = dataclasses.replace(learned("postgres"), learned={name: None})
    assert check_sql(sql, "postgres", policy=vouched) == sql


def test_deny_lists_live_on_the_connector_classes():
    """Each database declares its own policy; Redshift inherits PostgreSQL's."""
    for cls in all_classes():
        denied = cls.sql_policy.denied_functions
        assert cls.sql_policy.known and denied, cls.type
        assert all(p == p.lower() and isinstance(r, str) and r for p, r in denied.items())
    assert connector_class("redshift").sql_policy is connector_class("postgresql").sql_policy


@pytest.mark.parametrize("sql", ["SELECT count(*) FROM t", "SELECT load_file('/etc/passwd')",
                                 "SELECT lower(name) FROM t", "SELECT CAST(a AS INT) FROM t"])
def test_a_dialect_no_connector_declares_refuses_every_function_call(sql):
    """tsql parses, but no connector here speaks it: nothing can say which calls are safe."""
    with pytest.raises(UnsafeSQL, match="no connector declares this SQL dialect"):
        check_sql(sql, "tsql")
    assert check_sql("SELECT a, b FROM t WHERE a > 1", "tsql") == "SELECT a, b FROM t WHERE a > 1"


@pytest.mark.parametrize("sql", ["SELECT 1 /*! , load_file('/etc/passwd') */ FROM dual",
                                 "SELECT 1 /*M!100000 , sleep(5) */", "SELECT /*+ SET_VAR(x=1) */ 1"])
def test_mysql_executable_comments_are_refused_by_the_guard(sql):
    with pytest.raises(UnsafeSQL, match="Executable comments"):
        check_sql(sql, "mysql")
    assert check_sql("SELECT 1 /* a plain comment */ FROM dual", "mysql")


def test_snowflake_read_only_system_function_is_allowed_others_are_not():
    assert check_sql("SELECT SYSTEM$TYPEOF(1) AS t", "snowflake")
    with pytest.raises(UnsafeSQL, match="SYSTEM.CANCEL_ALL_QUERIES is not allowed"):
        check_sql("SELECT SYSTEM$CANCEL_ALL_QUERIES(1)", "snowflake")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM APPENDS(TABLE ds.orders, NULL, NULL)",
    "SELECT _CHANGE_TYPE, id FROM CHANGES(TABLE `p.ds.orders`, TIMESTAMP '2024-01-01', NULL)"])
def test_bigquery_change_history_functions_pass(sql):
    assert check_sql(sql, "bigquery") == sql


def test_bigquery_change_history_still_checks_what_it_reads():
    with pytest.raises(UnsafeSQL):
        check_sql("SELECT * FROM APPENDS(TABLE ds.orders, NULL, NULL); DROP TABLE ds.x", "bigquery")
    with pytest.raises(UnsafeSQL, match="(?i)external_query is not allowed"):
        check_sql("SELECT * FROM APPENDS(TABLE ds.o, NULL, NULL) WHERE EXTERNAL_QUERY('c', 'x') "
                  "IS NULL", "bigquery")


def test_a_dialect_sqlglot_does_not_know_is_refused():
    with pytest.raises(UnsafeSQL, match="no database here speaks that dialect"):
        check_sql("SELECT 1", "cobol")


# ---- cleaning ---------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    ("SELECT 1;", "SELECT 1"),
    ("SELECT 1;;", "SELECT 1"),
    ("SELECT 1 ; -- done", "SELECT 1"),
    ("SELECT 1 /* ; */ ;", "SELECT 1"),
    ("SELECT 1 -- trailing comments go: drivers wrap the query", "SELECT 1"),
    (";; SELECT 1", "SELECT 1"),
    ("  \n\t SELECT 1 \n ", "SELECT 1"),
    ("-- why\nSELECT 1", "-- why\nSELECT 1"),
    ("SELECT ';' AS s;", "SELECT ';' AS s"),
    ("select  ID   from canary", "select  ID   from canary"),  # not sqlglot's rewrite
    ("```sql\nSELECT 1;\n```", "SELECT 1"),
    ("```SQL\nSELECT 1\n```", "SELECT 1"),
    ("```postgresql\nSELECT 1\n```", "SELECT 1"),
    ("```\nSELECT 1\n```", "SELECT 1"),
    ("```SELECT 1```", "SELECT 1"),
    ("```sql\nSELECT 1", "SELECT 1"),  # an answer cut off before its closing fence
    ("Here you go:\n```sql\nSELECT 1;\n```\nIt counts nothing.", "SELECT 1"),
])
def test_fences_whitespace_and_semicolons_are_stripped(given, expected):
    assert check_sql(given, "postgres") == expected


def test_strip_fences_leaves_plain_and_inline_backticks_alone():
    assert strip_fences("  SELECT 1  ") == "SELECT 1"
    assert strip_fences("SELECT '```' AS fence") == "SELECT '```' AS fence"
    assert strip_fences("SELECT * FROM `p.d.t`") == "SELECT * FROM `p.d.t`"
    assert strip_fences("```sql\nSELECT 1\n```\n```sql\nSELECT 2\n```") == "SELECT 1\n;\nSELECT 2"


def test_every_fenced_block_is_checked_not_just_the_first():
    with pytest.raises(UnsafeSQL, match="found 2"):
        check_sql("```sql\nSELECT 1\n```\n```sql\nDROP TABLE canary\n```", "postgres")


@pytest.mark.parametrize("empty", ["", "   \n", ";", ";;", "-- only a comment", "```sql\n```"])
def test_empty_input_is_a_clear_error(empty):
    with pytest.raises(SQLSyntaxError, match="no SQL to run"):
        check_sql(empty, "postgres")


@pytest.mark.parametrize("sql, hint", [
    ("SELECT 1 FROM WHERE", "line 1"),
    ("SELECT name FROM canary WHERE (id = 1", "parsed as postgres"),
    ("SELECT 'never closed", "quote"),
])
def test_syntax_errors_are_syntax_errors_not_refusals(sql, hint):
    with pytest.raises(SQLSyntaxError) as info:
        check_sql(sql, "postgres")
    assert not isinstance(info.value, UnsafeSQL)
    assert hint in info.value.message and info.value.sql == sql
    assert "<Token" not in info.value.message


def test_unparseable_write_is_refused_as_a_write():
    with pytest.raises(UnsafeSQL, match="Writes are not allowed: found DELETE"):
        check_sql("SELECT * FROM (DELETE FROM canary RETURNING *) AS x", "postgres")


# ---- real PostgreSQL: nothing gets through ----------------------------------------------------
PG_ATTACKS = [(d, s) for d, s, _ in ATTACKS if d in ("postgres", "redshift")]
PG_SAFE = [s for d, s in SAFE if d == "postgres"]
PWNED_FILE = "/tmp/olympus_pwned"  # what the COPY ... TO PROGRAM attack would create


@pytest.fixture()
def canary(pg_url):
    """A table with known rows, a sequence that has been used, and an engine to inspect them."""
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE canary (id int PRIMARY KEY, name text NOT NULL)"))
        conn.execute(text("INSERT INTO canary VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma')"))
        conn.execute(text("CREATE SEQUENCE canary_seq START 7"))
        conn.execute(text("SELECT nextval('canary_seq')"))
    yield engine
    engine.dispose()


@pytest.fixture()
def connector(pg_url):
    from olympus.connectors import create_connector

    made = create_connector("postgresql", {"url": pg_url})
    yield made
    made.dispose()


def snapshot(engine) -> dict:
    """Everything an attack could change that we can see from outside."""
    queries = {
        "rows": "SELECT id, name FROM canary ORDER BY id",
        "bytes": "SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM canary c",
        "sequence": "SELECT last_value, is_called FROM canary_seq",
        "relations": "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                     "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
                     "'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
        "functions": "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                     "WHERE n.nspname = 'public' ORDER BY 1",
        "acl_and_comment": "SELECT relacl::text, obj_description(oid) FROM pg_class "
                           "WHERE relname = 'canary'",
        "advisory_locks": "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
        "large_objects": "SELECT count(*) FROM pg_largeobject_metadata",
    }
    with engine.connect() as conn:
        return {key: [tuple(r) for r in conn.execute(text(sql))] for key, sql in queries.items()}


def test_canary_notices_a_write(canary):
    """The check below must be able to fail: a real write changes the snapshot."""
    before = snapshot(canary)
    with canary.begin() as conn:
        conn.execute(text("UPDATE canary SET name = 'changed' WHERE id = 2"))
    assert snapshot(canary) != before


def test_attacks_never_reach_postgres(canary, connector):
    from olympus.runner import run_query

    if os.path.exists(PWNED_FILE):
        os.remove(PWNED_FILE)
    before = snapshot(canary)
    assert before["rows"] == [(1, "alpha"), (2, "beta"), (3, "gamma")]
    leaks = []
    for dialect, sql in PG_ATTACKS:
        try:
            run_query(connector, sql, limiter=None, timeout_s=5)
            leaks.append(f"ran: {sql!r}")
        except UnsafeSQL:
            pass
        except OlympusError as exc:  # refused, but by the database rather than the guard
            leaks.append(f"reached the database ({exc.message}): {sql!r}")
        if snapshot(canary) != before:
            leaks.append(f"changed the canary: {sql!r}")
            break
    assert not leaks, "\n".join(leaks)
    assert snapshot(canary) == before
    assert not os.path.exists(PWNED_FILE)


def test_tricky_reads_run_on_postgres(canary, connector):
    """The guard's output is what runs, and it runs: no false refusals, no mangled SQL."""
    from olympus.runner import run_query

    before = snapshot(canary)
    for sql in PG_SAFE:
        result = run_query(connector, sql, limiter=None, timeout_s=5)
        assert result.sql == sql
    assert snapshot(canary) == before
    assert run_query(connector, "```sql\nSELECT id FROM canary ORDER BY id;\n```",
                     limiter=None).df["id"].tolist() == [1, 2, 3]


# Writes handed straight to the read-only session, skipping the guard (defence in depth).
UNGUARDED_WRITES = [
    "DELETE FROM canary",
    "UPDATE canary SET name = 'x'",
    "INSERT INTO canary VALUES (9, 'x')",
    "TRUNCATE canary",
    "CREATE TABLE evil (x int)",
    "SELECT * INTO evil FROM canary",
    "WITH d AS (DELETE FROM canary RETURNING *) SELECT * FROM d",
    "SELECT nextval('canary_seq')",
    "SELECT setval('canary_seq', 99)",
    "SELECT 1; DELETE FROM canary",
    "COMMIT; DELETE FROM canary",
    "SELECT 1) TO STDOUT; COMMIT; DELETE FROM canary; COPY (SELECT 1",
]


def test_session_refuses_writes_without_the_guard(canary, connector):
    before = snapshot(canary)
    got_through = []
    for sql in UNGUARDED_WRITES:
        try:
            connector.fetch(sql, limit=10, timeout_s=5)
            got_through.append(sql)
        except OlympusError:
            pass
        assert snapshot(canary) == before, f"the session let this write land: {sql!r}"
    assert not got_through, got_through
