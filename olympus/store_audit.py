"""The audit log in the store: append and read only (nothing here updates or deletes a row)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from olympus.store_db import audit_log, now

if TYPE_CHECKING:
    from olympus.store import Store

ACTIONS = ("query", "ask", "sign_in", "connection_add", "connection_edit", "connection_delete",
           "connection_test", "grant", "member_change",
           "schedule_run", "schedule_create", "schedule_edit", "schedule_delete",
           "schedule_run_now", "alert_add", "alert_delete")  # olympus.ops schedules
TEXT_CAP = 20_000  # SQL, questions and details are kept up to this many characters


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as callers see it."""

    id: int
    at: datetime
    user: str
    space: str | None
    connection_id: str | None
    action: str
    sql: str | None
    question: str | None
    status: str  # ok | refused | error | failed
    rows: int | None
    bytes: int | None
    elapsed_ms: float | None
    detail: str | None

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in asdict(self).items()}


@dataclass(frozen=True)
class AuditFilter:
    """What to read back; None means any."""

    space: str | None = None
    user: str | None = None
    connection_id: str | None = None
    action: str | None = None
    status: str | None = None
    since: datetime | None = None
    limit: int = 1000


class AuditLog:
    """Append-only access to audit_log."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    def append(self, *, user: str, space: str | None, action: str, status: str,
               connection_id: str | None = None, sql: str | None = None,
               question: str | None = None, rows: int | None = None, bytes: int | None = None,
               elapsed_ms: float | None = None, detail: str | None = None) -> None:
        values = row_values(user=user, space=space, action=action, status=status,
                            connection_id=connection_id, sql=sql, question=question, rows=rows,
                            bytes=bytes, elapsed_ms=elapsed_ms, detail=detail)
        with self.store._write() as conn:
            conn.execute(audit_log.insert().values(**values))

    def entries(self, where: AuditFilter = AuditFilter()) -> list[AuditEntry]:
        """Newest first."""
        c = audit_log.c
        query = sa.select(audit_log)
        for column, value in ((c.space, where.space), (c.user, where.user),
                              (c.connection_id, where.connection_id), (c.action, where.action),
                              (c.status, where.status)):
            if value is not None:
                query = query.where(column == value)
        if where.since is not None:
            query = query.where(c.at >= _aware(where.since).astimezone(timezone.utc))
        query = query.order_by(c.at.desc(), c.id.desc()).limit(where.limit)
        self.store.flush()  # a query's audit row is written behind it
        with self.store._read() as conn:
            return [AuditEntry(**{**row._asdict(), "at": _aware(row.at)})
                    for row in conn.execute(query)]

    def users(self, space: str) -> list[str]:
        """Everyone who has a row in this space (for the Activity page's filter)."""
        query = sa.select(audit_log.c.user).where(audit_log.c.space == space).distinct()
        self.store.flush()
        with self.store._read() as conn:
            return sorted(conn.execute(query).scalars())


def row_values(*, user: str, space: str | None, action: str, status: str,
               connection_id: str | None = None, sql: str | None = None,
               question: str | None = None, rows: int | None = None, bytes: int | None = None,
               elapsed_ms: float | None = None, detail: str | None = None) -> dict[str, Any]:
    """One audit row's columns (also written by Store.log_query, in the query's transaction)."""
    return dict(at=now(), user=user, space=space, connection_id=connection_id, action=action,
                sql=_cap(sql), question=_cap(question), status=status, rows=rows, bytes=bytes,
                elapsed_ms=elapsed_ms, detail=_cap(detail))


def _cap(text: str | None) -> str | None:
    return None if text is None else str(text)[:TEXT_CAP]


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
