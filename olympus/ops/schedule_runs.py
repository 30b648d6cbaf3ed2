"""Run rows: claiming an occurrence once for every worker, leases, retries and snapshots.

The unique (schedule_id, due_at) makes the first INSERT win on SQLite and PostgreSQL alike; a
retry or a lapsed lease is taken over by a conditional UPDATE that only one worker can match
(the attempt number it read is part of the WHERE), so each attempt also runs once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

import sqlalchemy as sa

from olympus.ops.schedule_tables import schedule_runs
from olympus.ops.schedules import Run, loads, utc
from olympus.store_db import now

if TYPE_CHECKING:
    from olympus.store import Store


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one attempt of one occurrence."""

    run_id: int
    schedule_id: str
    due_at: datetime
    attempt: int
    worker: str


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended, as the run row records it."""

    status: str  # ok | retrying | failed
    elapsed_ms: float | None = None
    row_count: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    snapshot: Mapping[str, Any] | None = None
    digest: str | None = None
    alerts: tuple[Mapping[str, Any], ...] = ()


class Runs:
    def __init__(self, store: "Store") -> None:
        self.store = store

    def claim(self, schedule_id: str, space: str, due_at: datetime, worker: str, *,
              lease_s: float) -> Claim | None:
        """The first attempt of an occurrence, or None when another worker already has it."""
        due_at, at = utc(due_at).replace(microsecond=0), now()
        try:
            with self.store._write() as conn:
                run_id = conn.execute(schedule_runs.insert().values(
                    schedule_id=schedule_id, space=space, due_at=due_at, attempt=1,
                    status="running", worker=worker, started_at=at,
                    lease_until=at + timedelta(seconds=lease_s))).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            return None
        return Claim(int(run_id), schedule_id, due_at, 1, worker)

    def takeovers(self, limit: int = 50) -> list[tuple[int, int, str]]:
        """(run id, attempt, status) of retries now due and running attempts whose lease lapsed."""
        at = now()
        c = schedule_runs.c
        query = sa.select(c.id, c.attempt, c.status).where(sa.or_(
            sa.and_(c.status == "retrying", c.retry_at <= at),
            sa.and_(c.status == "running", c.lease_until < at))).order_by(c.due_at).limit(limit)
        with self.store._read() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def take_over(self, run_id: int, attempt: int, status: str, worker: str, *,
                  lease_s: float) -> Claim | None:
        """The next attempt, if no other worker took it first (one UPDATE matches, at most)."""
        c, at = schedule_runs.c, now()
        due = (c.retry_at <= at) if status == "retrying" else (c.lease_until < at)
        with self.store._write() as conn:
            done = conn.execute(schedule_runs.update().where(
                c.id == run_id, c.attempt == attempt, c.status == status, due).values(
                attempt=attempt + 1, status="running", worker=worker, started_at=at,
                retry_at=None, lease_until=at + timedelta(seconds=lease_s)))
            if done.rowcount != 1:
                return None
            row = conn.execute(sa.select(c.schedule_id, c.due_at).where(c.id == run_id)).one()
        return Claim(run_id, row.schedule_id, utc(row.due_at), attempt + 1, worker)

    def abandon(self, run_id: int, attempt: int, status: str, error: str) -> bool:
        """A lapsed attempt with no attempts left: failed, by whoever sees it first."""
        c = schedule_runs.c
        with self.store._write() as conn:
            done = conn.execute(schedule_runs.update().where(
                c.id == run_id, c.attempt == attempt, c.status == status).values(
                status="failed", error=error, finished_at=now(), lease_until=None))
        return done.rowcount == 1

    def heartbeat(self, claim: Claim, *, lease_s: float) -> bool:
        """Extend the lease while the attempt runs; False if another worker took it over."""
        with self.store._write() as conn:
            done = conn.execute(self._mine(claim).values(
                lease_until=now() + timedelta(seconds=lease_s)))
        return done.rowcount == 1

    def finish(self, claim: Claim, outcome: Outcome) -> bool:
        values = dict(status=outcome.status, elapsed_ms=outcome.elapsed_ms,
                      row_count=outcome.row_count, error=outcome.error,
                      retry_at=outcome.retry_at, digest=outcome.digest, lease_until=None,
                      finished_at=now(), alerts_json=json.dumps(list(outcome.alerts)) or None,
                      snapshot_json=None if outcome.snapshot is None
                      else json.dumps(outcome.snapshot, default=str))
        with self.store._write() as conn:
            done = conn.execute(self._mine(claim).values(**values))
        return done.rowcount == 1

    def _mine(self, claim: Claim):
        c = schedule_runs.c
        return schedule_runs.update().where(c.id == claim.run_id, c.attempt == claim.attempt,
                                            c.worker == claim.worker, c.status == "running")

    def prune(self, schedule_id: str, keep: int) -> None:
        """Drop the snapshots of all but the newest `keep` runs (the rows stay as history)."""
        c = schedule_runs.c
        newest = sa.select(c.id).where(c.schedule_id == schedule_id, c.snapshot_json.is_not(None)
                                       ).order_by(c.due_at.desc()).limit(keep)
        with self.store._write() as conn:
            kept = [r[0] for r in conn.execute(newest)]
            conn.execute(schedule_runs.update().where(
                c.schedule_id == schedule_id, c.snapshot_json.is_not(None),
                c.id.not_in(kept or [-1])).values(snapshot_json=None))

    def previous_ok(self, schedule_id: str, before: datetime) -> Run | None:
        """The last successful run before this occurrence ("changed", "crossing" compare it)."""
        c = schedule_runs.c
        query = sa.select(schedule_runs).where(c.schedule_id == schedule_id, c.status == "ok",
                                               c.due_at < before).order_by(c.due_at.desc())
        with self.store._read() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else _run(row)

    def recent(self, schedule_id: str, *, limit: int = 20) -> list[Run]:
        c = schedule_runs.c
        query = sa.select(schedule_runs).where(c.schedule_id == schedule_id).order_by(
            c.due_at.desc()).limit(limit)
        with self.store._read() as conn:
            return [_run(r) for r in conn.execute(query)]

    def get(self, run_id: int) -> Run | None:
        with self.store._read() as conn:
            row = conn.execute(sa.select(schedule_runs).where(
                schedule_runs.c.id == run_id)).first()
        return None if row is None else _run(row)


def _run(row) -> Run:
    return Run(id=row.id, schedule_id=row.schedule_id, due_at=utc(row.due_at),
               attempt=row.attempt, status=row.status, worker=row.worker,
               started_at=utc(row.started_at), finished_at=utc(row.finished_at),
               elapsed_ms=row.elapsed_ms, row_count=row.row_count, error=row.error,
               retry_at=utc(row.retry_at), snapshot=loads(row.snapshot_json),
               digest=row.digest, alerts=tuple(loads(row.alerts_json, [])))
