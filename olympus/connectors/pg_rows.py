"""PostgreSQL's small-result path through psycopg: one round trip to open the read-only session,
one for the query, one to roll back. ADBC (pg_arrow) keeps the big reads, where it wins; its
connect also scans pg_type, which on a 10,000-table database costs seconds."""

from __future__ import annotations

from typing import Any

from olympus.connectors.arrow import rows_to_arrow
from olympus.connectors.base import Fetched

UNLOCK_SQL = "SELECT pg_advisory_unlock_all()"
# Results of at least this many rows (or unlimited) read through ADBC as Arrow.
ARROW_MIN_ROWS = 50_000
_TEXT_TYPES = ("json", "jsonb")  # as text, like the Arrow path (not Python dicts)


def is_adbc(cursor: Any) -> bool:
    return hasattr(cursor, "adbc_statement")


def begin_sql(timeout_s: float) -> str:
    """Read-only transaction, timeout and the string rules the guard assumes, in one message
    (the connection is in autocommit: this BEGIN is the only one)."""
    return (f"BEGIN READ ONLY; SET LOCAL statement_timeout = {int(timeout_s * 1000)}; "
            "SET LOCAL standard_conforming_strings = on")


def end_sql(advisory_locks: bool) -> str:
    """Roll back, then free session advisory locks (a rollback keeps them), in one message."""
    return f"ROLLBACK; {UNLOCK_SQL}" if advisory_locks else "ROLLBACK"


def run(cursor, sql: str, *, limit: int, max_bytes: int | None, describe) -> Fetched:
    """limit + 1 rows at most leave the server (the LIMIT is a bound parameter, so the
    statement goes through the extended protocol, which refuses several statements). Rows
    stream one at a time (libpq would otherwise hold the whole result before the byte cap could
    act); a result cut short is cancelled on the server when the stream closes."""
    from contextlib import closing

    from psycopg.types.string import TextLoader

    for name in _TEXT_TYPES:
        cursor.adapters.register_loader(name, TextLoader)
    wrapped = f"SELECT * FROM (\n{sql.replace('%', '%%')}\n) AS q LIMIT %s"
    with closing(cursor.stream(wrapped, (limit + 1,))) as stream:
        rows, cut = _collect(stream, limit, max_bytes)
        description = cursor.description
    if not rows and not description:  # a stream without rows leaves no description: ask
        cursor.execute(wrapped, (0,))
        description = cursor.description
    description = description or ()
    table = rows_to_arrow([d[0] for d in description], rows[:limit])
    return Fetched(table, cut is not None, tuple(describe(d[1]) for d in description), cut)


def _collect(stream, limit: int, max_bytes: int | None) -> tuple[list, str | None]:
    """Rows until limit + 1 or about max_bytes (counted as arrow.fetch_rows counts them)."""
    rows: list = []
    size = 0
    for row in stream:
        size += 2 * sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
        if max_bytes is not None and size > max_bytes:
            return rows, "bytes"
        rows.append(row)
        if len(rows) > limit:
            return rows, "rows"
    return rows, None


def canceller(cursor) -> Any:
    """Server-side cancel of the statement on this cursor's connection (from another thread)."""
    if is_adbc(cursor):
        return cursor.adbc_cancel
    conn = cursor.connection
    return getattr(conn, "cancel_safe", None) or conn.cancel


def type_name(type_code: Any) -> str:
    """psycopg gives type OIDs; its registry names the built-in ones (int4, numeric, text)."""
    from psycopg.postgres import types

    info = types.get(type_code) if isinstance(type_code, int) else None
    return info.name if info is not None else ("" if type_code is None else str(type_code))
