"""PostgreSQL session hygiene behind the guard: nothing one query does outlives its checkout."""

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


def test_session_advisory_lock_taken_by_bypassing_the_guard_is_freed_at_next_checkout(pg_url):
    connector = create_connector("postgresql", {"url": pg_url}, pool_size=1, max_overflow=0)
    try:
        # connector.fetch skips the guard on purpose: this is the layer behind it.
        connector.fetch("SELECT pg_advisory_lock(4242)", limit=1, timeout_s=5)
        assert not _other_session_can_lock(pg_url, 4242)  # control: the lock really leaked
        result = connector.fetch("SELECT 1 AS one", limit=1, timeout_s=5)  # same pooled session
        assert result.table.to_pylist() == [{"one": 1}]
        assert _other_session_can_lock(pg_url, 4242)
    finally:
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
