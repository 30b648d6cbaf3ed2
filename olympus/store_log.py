"""The query log in the store: one line per query, written behind it (olympus.journal)."""

from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa

from olympus.store_db import audit_log, connections, query_log
from olympus.store_db import now as _now
from olympus.store_fast import FastInsert
from olympus.store_records import QueryLogEntry, _owner, _utc

# the query log's optional facts (v7); log_query(extra=...) may set any of them
_LOG_EXTRA = dict.fromkeys(("user", "source", "bytes", "scanned_bytes", "cached", "reads_json"))
_TOUCH = connections.update().where(connections.c.owner == sa.bindparam("o"),
                                    connections.c.id == sa.bindparam("i")).values(
    last_used=sa.bindparam("at"))


class QueryLog:
    """Store's query-log methods (a mixin: uses its journal, flush and _read)."""

    def log_query(self, owner: str, connection_id: str | None, *, question: str | None = None,
                  sql: str, status: str, row_count: int | None = None,
                  elapsed_ms: float | None = None, error: str | None = None,
                  touch_used: bool = False, audit: Mapping[str, Any] | None = None,
                  extra: Mapping[str, Any] | None = None) -> None:
        """One query-log line, the connection's last use and the audit row
        (store_audit.row_values) when given. Written behind: `flush()` before reading."""
        at = _now()
        values = dict(_LOG_EXTRA, **(extra or {}))  # every key always: one compiled insert
        values.update(owner=_owner(owner), connection_id=connection_id, question=question,
                      sql=sql, status=status, row_count=row_count, elapsed_ms=elapsed_ms,
                      error=error, created_at=at)
        rows = [("query_log", values)]  # committed behind the query (olympus.journal)
        if touch_used and connection_id is not None:
            rows.append(("touch", {"o": _owner(owner), "i": connection_id, "at": at}))
        if audit is not None:
            rows.append(("audit", dict(audit)))
        self.journal.submit_all(rows)

    def query_log(self, owner: str, *, limit: int = 50,
                  connection_id: str | None = None) -> list[QueryLogEntry]:
        query = sa.select(query_log).where(query_log.c.owner == _owner(owner))
        if connection_id is not None:
            query = query.where(query_log.c.connection_id == connection_id)
        query = query.order_by(query_log.c.created_at.desc(), query_log.c.id.desc()).limit(limit)
        self.flush()
        with self._read() as conn:
            return [QueryLogEntry(**{**row._asdict(), "created_at": _utc(row.created_at)})
                    for row in conn.execute(query)]


def _touch_latest(conn, rows: list) -> None:
    """Last use: only the latest time per connection of a batch is written."""
    latest = {(r["o"], r["i"]): r for r in rows}
    conn.execute(_TOUCH, list(latest.values()))


# what log_query writes behind the query, one executemany per kind and batch
_LOG_INSERT, _AUDIT_INSERT = FastInsert(query_log), FastInsert(audit_log)
_JOURNAL_WRITERS = {"query_log": _LOG_INSERT.execute, "touch": _touch_latest,
                    "audit": _AUDIT_INSERT.execute}
