"""User-defined functions on PostgreSQL: the policy learned from pg_proc refuses VOLATILE ones,
a least-privilege role stops what an admin let through, and no advisory lock outlives a query."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from olympus.connectors import create_connector
from olympus.errors import OlympusError, UnsafeSQL
from olympus.runner import run_query

ROLE = "olympus_udf_reader"
FUNCTIONS = [
    # runs its text argument: COPY ... TO PROGRAM, slots, WAL switches were done this way
    "CREATE FUNCTION run_text(t text) RETURNS int LANGUAGE plpgsql AS "
    "$$ BEGIN EXECUTE t; RETURN 1; END $$",
    "CREATE FUNCTION take_lock(k bigint) RETURNS bool LANGUAGE sql AS "
    "'SELECT pg_advisory_lock(k) IS NOT NULL'",
    # marked STABLE (so the policy allows it), yet it takes a session lock
    "CREATE FUNCTION stable_lock(k bigint) RETURNS bool LANGUAGE sql STABLE AS "
    "'SELECT pg_advisory_lock(k) IS NOT NULL'",
    "CREATE FUNCTION double_it(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2 * x'",
]


def _sa(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def udf_db(pg_url, tmp_path):
    admin = create_engine(_sa(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for sql in FUNCTIONS:
            conn.execute(text(sql))
        conn.execute(text("CREATE TABLE t (id int)"))
        conn.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
        conn.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
        conn.execute(text(f"GRANT SELECT ON t TO {ROLE}"))
    reader = make_url(pg_url).set(username=ROLE, password=None)
    yield pg_url, reader.render_as_string(hide_password=False), admin
    with admin.connect() as conn:
        conn.execute(text(f"DROP OWNED BY {ROLE}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
    admin.dispose()


def _held_advisory_locks(admin) -> int:
    with admin.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar()


@pytest.mark.parametrize("call", ["run_text('SELECT 1')", "take_lock(7)"])
def test_volatile_user_functions_are_refused_through_a_superuser(udf_db, call):
    superuser, _, _ = udf_db
    connector = create_connector("postgresql", {"url": superuser})
    try:
        with pytest.raises(UnsafeSQL, match="VOLATILE"):
            run_query(connector, f"SELECT {call} AS x", limiter=None)
        assert run_query(connector, "SELECT double_it(21) AS x", limiter=None).rows() == [[42]]
    finally:
        connector.dispose()


def test_a_least_privilege_role_stops_what_an_admin_allowed(udf_db, tmp_path):
    _, reader, _ = udf_db
    target = tmp_path / "pwned"
    connector = create_connector("postgresql", {"url": reader}, allowed_functions=["run_text"])
    try:
        for inner in (f"COPY (SELECT 1) TO PROGRAM 'touch {target}'",
                      f"COPY (SELECT 1) TO '{target}'", "SELECT pg_switch_wal()",
                      "SELECT pg_create_physical_replication_slot('olympus_slot')"):
            quoted = inner.replace("'", "''")
            with pytest.raises(OlympusError):
                run_query(connector, f"SELECT run_text('{quoted}') AS x", limiter=None)
        assert not target.exists()
    finally:
        connector.dispose()


@pytest.mark.parametrize("kind", ["superuser", "reader"])
def test_no_advisory_lock_outlives_its_query(udf_db, kind):
    superuser, reader, admin = udf_db
    connector = create_connector("postgresql", {"url": superuser if kind == "superuser" else reader})
    try:
        assert run_query(connector, "SELECT stable_lock(42) AS locked", limiter=None).rows() == [[True]]
        assert _held_advisory_locks(admin) == 0
    finally:
        connector.dispose()


def test_an_admin_allows_a_volatile_function_per_connection_and_deny_lists_still_win(
        udf_db, tmp_path):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    superuser, _, _ = udf_db
    settings = Settings.from_env({"OLYMPUS_HOME": str(tmp_path / "home")})
    store = Store.from_settings(settings)
    ws = Workspace(store, "alice", settings=settings)
    other = Workspace(store, "bob", settings=settings)
    try:
        ws.add_connection("pg", "postgresql", {"url": superuser})
        other.add_connection("pg", "postgresql", {"url": superuser})
        with pytest.raises(UnsafeSQL, match="VOLATILE"):
            ws.run_sql("pg", "SELECT take_lock(5) AS x")
        record = ws.allow_functions("pg", ["take_lock", "pg_sleep"])
        assert record.allowed_functions == ("pg_sleep", "take_lock")
        assert ws.run_sql("pg", "SELECT take_lock(5) AS x").rows() == [[True]]
        with pytest.raises(UnsafeSQL, match="pg_sleep is not allowed"):
            ws.run_sql("pg", "SELECT pg_sleep(0) AS x")
        with pytest.raises(UnsafeSQL, match="VOLATILE"):  # bob's connection is his own
            other.run_sql("pg", "SELECT take_lock(5) AS x")
        assert ws.allow_functions("pg", []).allowed_functions == ()
        with pytest.raises(UnsafeSQL, match="VOLATILE"):
            ws.run_sql("pg", "SELECT take_lock(5) AS x")
    finally:
        ws.close()
        other.close()
        store.dispose()
