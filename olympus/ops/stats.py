"""Performance figures of one space, computed from its query log (no second source of truth)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import sqlalchemy as sa

from olympus.store_db import query_log

if TYPE_CHECKING:
    from olympus.store import Store

MAX_ROWS = 200_000  # the newest rows of the window; a bigger log is summarised from these
SLOWEST = 10
TOP_USERS = 10


@dataclass(frozen=True)
class Latency:
    """Latency percentiles (ms) and counts of one group (a connection or a day)."""

    key: str
    queries: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.queries if self.queries else 0.0


@dataclass(frozen=True)
class Slow:
    """One of the slowest successful queries."""

    at: datetime
    connection: str
    user: str | None
    sql: str
    elapsed_ms: float
    rows: int | None


@dataclass(frozen=True)
class Stats:
    """What the Performance page and `python -m olympus stats` show."""

    since: datetime
    queries: int
    by_connection: tuple[Latency, ...]
    by_day: tuple[Latency, ...]
    slowest: tuple[Slow, ...]
    errors_by_type: tuple[tuple[str, int], ...]  # (status: title, count), most frequent first
    cache_hits: int
    cache_rate: float | None  # hits / successful queries; None without successful queries
    rows: int
    bytes: int
    scanned_bytes: int | None  # only where the engine reports it
    users: tuple[tuple[str, int], ...]  # most active first
    truncated: bool  # the window held more than MAX_ROWS rows

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for group in ("by_connection", "by_day"):
            for item, latency in zip(data[group], getattr(self, group)):
                item["error_rate"] = round(latency.error_rate, 4)
        return data


def load(store: "Store", owner: str, *, days: int = 30, now: datetime | None = None) -> list:
    """The space's query-log rows of the last `days` days, newest first (at most MAX_ROWS + 1)."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    query = (sa.select(query_log.c.connection_id, query_log.c.user, query_log.c.sql,
                       query_log.c.status, query_log.c.row_count, query_log.c.elapsed_ms,
                       query_log.c.error, query_log.c.created_at, query_log.c.bytes,
                       query_log.c.scanned_bytes, query_log.c.cached)
             .where(query_log.c.owner == owner, query_log.c.created_at >= since)
             .order_by(query_log.c.created_at.desc(), query_log.c.id.desc())
             .limit(MAX_ROWS + 1))
    store.flush()  # the query log is written behind the queries
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def compute(rows: list, names: Mapping[str, str], since: datetime) -> Stats:
    """Figures from query-log rows (see `load`); `names` maps connection ids to names."""
    truncated = len(rows) > MAX_ROWS
    rows = [r for r in rows[:MAX_ROWS] if r.status != "cancelled"]
    name = lambda r: names.get(r.connection_id or "", r.connection_id or "(none)")  # noqa: E731
    ok = [r for r in rows if r.status == "ok"]
    hits = sum(1 for r in ok if r.cached)
    scanned = [r.scanned_bytes for r in ok if r.scanned_bytes is not None]
    return Stats(
        since=since, queries=len(rows),
        by_connection=_groups(rows, name),
        by_day=tuple(sorted(_groups(rows, lambda r: _utc(r.created_at).date().isoformat()),
                            key=lambda g: g.key)),
        slowest=tuple(Slow(_utc(r.created_at), name(r), r.user, r.sql, r.elapsed_ms, r.row_count)
                      for r in sorted((r for r in ok if r.elapsed_ms is not None),
                                      key=lambda r: -r.elapsed_ms)[:SLOWEST]),
        errors_by_type=tuple(Counter(_error_type(r) for r in rows
                                     if r.status != "ok").most_common()),
        cache_hits=hits, cache_rate=hits / len(ok) if ok else None,
        rows=sum(r.row_count or 0 for r in ok), bytes=sum(r.bytes or 0 for r in ok),
        scanned_bytes=sum(scanned) if scanned else None,
        users=tuple(Counter(r.user or "(unknown)" for r in rows).most_common(TOP_USERS)),
        truncated=truncated)


def percentiles(values: Iterable[float]) -> tuple[float | None, float | None, float | None]:
    """p50, p95, p99 with linear interpolation between closest ranks (numpy's default)."""
    data = sorted(values)
    if not data:
        return None, None, None
    if len(data) == 1:
        return data[0], data[0], data[0]
    cuts = statistics.quantiles(data, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _groups(rows: list, key) -> tuple[Latency, ...]:
    """Latency of successful queries and error counts per group, busiest first."""
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    out = []
    for name, members in grouped.items():
        times = [r.elapsed_ms for r in members if r.status == "ok" and r.elapsed_ms is not None]
        out.append(Latency(name, len(members), sum(r.status != "ok" for r in members),
                           *percentiles(times)))
    return tuple(sorted(out, key=lambda g: (-g.queries, g.key)))


def _error_type(row) -> str:
    """'error: Syntax error' from the stored 'Title: message'; the status alone without one."""
    title = (row.error or "").split(":", 1)[0].strip() if row.error else ""
    return f"{row.status}: {title}" if title else row.status


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
