"""History across sessions: one user's own past queries and questions in one space, read back
from the query log (newest first), with search and filters."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from olympus.errors import ConfigError

STATUSES = ("ok", "error", "refused", "cancelled")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class HistoryEntry:
    """One past query or question, as its user ran it (open it again as a new cell)."""

    id: int
    at: datetime
    connection: str | None  # its name now; None: the connection was deleted since
    connection_id: str | None
    question: str | None  # set for a question asked in words
    sql: str
    status: str  # ok | error | refused | cancelled
    error: str | None
    row_count: int | None
    elapsed_ms: float | None
    source: str | None  # sql | ask | notebook | schedule | mcp | cli
    cached: bool = False

    @property
    def kind(self) -> str:
        return "question" if self.question else "sql"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"], out["kind"] = self.at.isoformat(), self.kind
        return out


def check_status(status: str | None) -> str | None:
    if status is None or str(status).strip() == "":
        return None
    value = str(status).strip().lower()
    if value not in STATUSES:
        raise ConfigError(f"Unknown status {status!r}.", title="Bad filter", fields=("status",),
                          suggestion=f"Statuses: {', '.join(STATUSES)}.")
    return value


def read(engine, *, space: str, user: str, names: Mapping[str, str], hidden: Iterable[str],
         search: str | None = None, connection_id: str | None = None,
         status: str | None = None, limit: int = 50, entry_id: int | None = None
         ) -> list[HistoryEntry]:
    """The user's own log lines in the space, newest first; lines on connections in `hidden`
    (ones this user may no longer see) are left out. `names`: connection id -> name."""
    import sqlalchemy as sa

    from olympus.store_db import query_log as q

    query = sa.select(q).where(q.c.owner == space, q.c.user == user)
    hidden = sorted(set(hidden))
    if hidden:
        query = query.where(sa.or_(q.c.connection_id.is_(None), q.c.connection_id.not_in(hidden)))
    if entry_id is not None:
        query = query.where(q.c.id == int(entry_id))
    if connection_id is not None:
        query = query.where(q.c.connection_id == connection_id)
    if status is not None:
        query = query.where(q.c.status == status)
    if search and search.strip():
        pattern = "%" + _escape(search.strip().lower()) + "%"
        query = query.where(sa.or_(sa.func.lower(q.c.sql).like(pattern, escape="\\"),
                                   sa.func.lower(q.c.question).like(pattern, escape="\\")))
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = query.order_by(q.c.created_at.desc(), q.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_entry(row, names) for row in conn.execute(query)]


def _escape(text: str) -> str:
    """LIKE's wildcards in what the user typed match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _entry(row, names: Mapping[str, str]) -> HistoryEntry:
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=timezone.utc)
    return HistoryEntry(id=row.id, at=at, connection=names.get(row.connection_id),
                        connection_id=row.connection_id, question=row.question, sql=row.sql,
                        status=row.status, error=row.error, row_count=row.row_count,
                        elapsed_ms=row.elapsed_ms, source=row.source, cached=bool(row.cached))
