"""PostgreSQL session hygiene behind the guard: nothing one query does outlives its checkout."""

import pytest
from sqlalchemy import create_engine, text

from olympus.connectors import create_connector


def _other_session_can_lock(pg_url: str, key: int) -> bool:
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            return bool(got)
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", ["arrow", "psycopg"])
def test_session_advisory_lock_taken_by_bypassing_the_guard_is_freed_when_the_query_ends(
        pg_url, path):
    connector = create_connector("postgresql", {"url": pg_url}, pool_size=1, max_overflow=0)
    connector.arrow_native = path == "arrow"
    try:
        # connector.fetch skips the guard on purpose: this is the layer behind it.
        limit = None if path == "arrow" else 1  # ADBC reads the unlimited (big) results
        connector.fetch("SELECT pg_advisory_lock(4242)", limit=limit, timeout_s=5)
        assert _other_session_can_lock(pg_url, 4242)  # not held once the query returned
        result = connector.fetch("SELECT 1 AS one", limit=limit, timeout_s=5)  # same session
        assert result.table.to_pylist() == [{"one": 1}]
    finally:
        connector.dispose()


def test_the_checkout_ping_also_frees_advisory_locks(pg_url):
    """Second layer: a lock on a pooled ADBC connection (taken outside a session) is gone at the
    next checkout."""
    from olympus.connectors import pg_arrow

    connector = create_connector("postgresql", {"url": pg_url})
    pool = pg_arrow.make_pool(connector)
    try:
        conn = pool.connect()
        cursor = conn.cursor()
        cursor.execute("SELECT pg_advisory_lock(4343)")
        cursor.fetchall()
        cursor.close()
        conn.dbapi_connection.commit()
        conn.close()  # back to the pool, lock still held by that session
        assert not _other_session_can_lock(pg_url, 4343)  # control: the lock really is held
        pool.connect().close()  # checkout: the pre-ping frees it
        assert _other_session_can_lock(pg_url, 4343)
    finally:
        pool.dispose()
        connector.dispose()


def test_read_only_session_pins_standard_conforming_strings(pg_url):
    connector = create_connector("postgresql", {"url": pg_url})
    try:
        rows = connector.fetch("SELECT current_setting('standard_conforming_strings') AS s, "
                               "current_setting('transaction_read_only') AS ro",
                               limit=1, timeout_s=5).table.to_pylist()
        assert rows == [{"s": "on", "ro": "on"}]
    finally:
        connector.dispose()
