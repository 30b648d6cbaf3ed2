"""Connection health: a `SELECT 1` every minute per connection someone used lately, its status
and latency kept in the store for every replica, so a failing connection shows before a query
fails on it. One replica checks each connection per round (a conditional claim in the store)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable

import sqlalchemy as sa

from olympus.ops.health_tables import connection_health
from olympus.store_db import connections, now, write

if TYPE_CHECKING:
    from olympus.store import ConnectionRecord, Store

log = logging.getLogger(__name__)
INTERVAL_S = 60.0
ACTIVE_FOR = timedelta(minutes=15)  # no use for this long: checks pause until the next use
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Health:
    """The latest check of one connection."""

    connection_id: str
    checked_at: datetime
    ok: bool
    latency_ms: float | None
    error: str | None
    failures: int  # failed checks in a row


def latest(store: "Store", ids: Iterable[str]) -> dict[str, Health]:
    """The latest check of each of these connections (absent: never checked)."""
    ids = list(ids)
    if not ids:
        return {}
    query = sa.select(connection_health).where(connection_health.c.connection_id.in_(ids))
    with store.engine.connect() as conn:
        return {r.connection_id: Health(r.connection_id, _utc(r.checked_at), bool(r.ok),
                                        r.latency_ms, r.error, r.failures)
                for r in conn.execute(query)}


def due(store: "Store", *, at: datetime | None = None) -> list[tuple[str, str]]:
    """(owner, id) of connections used within ACTIVE_FOR whose last check is a round old."""
    at = at or now()
    query = (sa.select(connections.c.owner, connections.c.id)
             .select_from(connections.outerjoin(
                 connection_health, connection_health.c.connection_id == connections.c.id))
             .where(connections.c.last_used >= at - ACTIVE_FOR,
                    sa.or_(connection_health.c.checked_at.is_(None),
                           connection_health.c.checked_at <= at - timedelta(seconds=INTERVAL_S
                                                                            - 5))))
    store.flush()  # last use is written behind the queries
    with store.engine.connect() as conn:
        return [(r.owner, r.id) for r in conn.execute(query)]


def claim(store: "Store", connection_id: str, *, at: datetime | None = None) -> bool:
    """Take this round's check of a connection; False when another replica took it."""
    at = at or now()
    stale = at - timedelta(seconds=INTERVAL_S - 5)
    with write(store.engine) as conn:
        row = conn.execute(sa.select(connection_health.c.checked_at).where(
            connection_health.c.connection_id == connection_id)).first()
        if row is None:
            conn.execute(connection_health.insert().values(
                connection_id=connection_id, checked_at=at, ok=True, failures=0))
            return True
        taken = conn.execute(connection_health.update().where(
            connection_health.c.connection_id == connection_id,
            connection_health.c.checked_at <= stale).values(checked_at=at))
        return taken.rowcount == 1


def check(store: "Store", record: "ConnectionRecord") -> Health:
    """One `SELECT 1` through the guarded read-only path; the result recorded for everyone."""
    from olympus.errors import OlympusError
    from olympus.runner import run_query

    started = time.perf_counter()
    try:
        connector = store.connector(record.owner, record.id)
        try:
            run_query(connector, "SELECT 1", limit=1, timeout_s=TIMEOUT_S, limiter=None)
        finally:
            connector.dispose()
        ok, error = True, None
    except OlympusError as exc:
        ok, error = False, f"{exc.title}: {exc.message}"
    except Exception as exc:  # a bug or an unmapped driver failure: still a failed check
        ok, error = False, f"{type(exc).__name__}"
    latency = (time.perf_counter() - started) * 1000
    return record_check(store, record.id, ok=ok, latency_ms=latency if ok else None, error=error)


def record_check(store: "Store", connection_id: str, *, ok: bool, latency_ms: float | None,
                 error: str | None) -> Health:
    at = now()
    with write(store.engine) as conn:
        row = conn.execute(sa.select(connection_health.c.failures).where(
            connection_health.c.connection_id == connection_id)).first()
        failures = 0 if ok else (row.failures if row else 0) + 1
        conn.execute(connection_health.delete().where(
            connection_health.c.connection_id == connection_id))
        conn.execute(connection_health.insert().values(
            connection_id=connection_id, checked_at=at, ok=ok, latency_ms=latency_ms,
            error=error, failures=failures))
    return Health(connection_id, at, ok, latency_ms, error, failures)


def run_round(store: "Store") -> int:
    """Check every due connection this replica could claim; how many were checked."""
    checked = 0
    for owner, connection_id in due(store):
        if not claim(store, connection_id):
            continue
        try:
            check(store, store.get(owner, connection_id))
            checked += 1
        except Exception:  # the connection was deleted meanwhile, or the store hiccuped
            log.info("Health check of %s skipped", connection_id, exc_info=True)
    return checked


class Monitor:
    """A daemon thread running `run_round` every INTERVAL_S (one per app process)."""

    def __init__(self, store: "Store", *, interval_s: float = INTERVAL_S) -> None:
        self.store, self.interval_s = store, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="olympus-health", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                run_round(self.store)
            except Exception:
                log.warning("Health round failed", exc_info=True)
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stop.set()


def _utc(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
