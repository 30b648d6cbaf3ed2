"""The schedule worker: APScheduler computes when each schedule is due; the store, who runs it.

APScheduler 3 (BackgroundScheduler) fires each schedule's cron or interval trigger in its time
zone, coalesces misfires and runs jobs on a thread pool. Its job stores must not be shared
between schedulers, so every worker keeps its jobs in memory, re-read from the `schedules`
table every poll; the run row's unique (schedule_id, due_at) is the claim, so however many
workers (or in-process app schedulers) see an occurrence, one runs it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping

from apscheduler.executors.pool import ThreadPoolExecutor

from olympus.ops.alerts import SNAPSHOT_BYTES
from olympus.ops.schedule_runs import Claim

if TYPE_CHECKING:
    from olympus.connectors import Connector
    from olympus.store import Store

log = logging.getLogger(__name__)
SYNC_JOB = "olympus:sync"


@dataclass(frozen=True)
class WorkerOptions:
    """Timings (OLYMPUS_WORKER_* environment variables)."""

    poll_s: float = 2.0  # re-read schedules, look for due retries and lapsed leases
    lease_s: float = 60.0  # a running attempt not renewed for this long: its worker died
    retry_s: float = 30.0  # first retry after this; then doubled each attempt
    threads: int = 8  # concurrent runs per worker
    misfire_s: int = 60  # a worker late by more than this skips the occurrence
    snapshot_bytes: int = SNAPSHOT_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WorkerOptions":
        env = os.environ if environ is None else environ
        names = {"poll_s": "POLL_S", "lease_s": "LEASE_S", "retry_s": "RETRY_S",
                 "threads": "THREADS", "misfire_s": "MISFIRE_S"}
        values: dict[str, Any] = {}
        for field_name, suffix in names.items():
            raw = env.get(f"OLYMPUS_WORKER_{suffix}")
            if raw:
                kind = type(getattr(cls, field_name))
                values[field_name] = kind(float(raw)) if kind is int else float(raw)
        return cls(**values)


class OccurrenceExecutor(ThreadPoolExecutor):
    """APScheduler's thread pool, handing each job the scheduled time it fires for (the claim
    key) instead of the time it happens to start."""

    def _do_submit_job(self, job, run_times):
        def done(future):
            exc = future.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, [])

        due_at = run_times[-1].astimezone(timezone.utc)  # coalesced: the latest occurrence
        self._pool.submit(job.func, *job.args, **job.kwargs, due_at=due_at).add_done_callback(done)


class Pools:
    """Connector pools shared by the worker's runs: one per (space, connection, version)."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, str, str], "Connector"] = {}
        self._lock = threading.Lock()

    def __call__(self, owner: str, connection_id: str, version: str,
                 build: Callable[[], "Connector"]) -> "Connector":
        with self._lock:
            for key in [k for k in self._pools if k[:2] == (owner, connection_id)
                        and k[2] != version]:
                self._pools.pop(key).dispose()
            key = (owner, connection_id, version)
            if key not in self._pools:
                self._pools[key] = build()
            return self._pools[key]

    def close(self) -> None:
        with self._lock:
            for connector in self._pools.values():
                connector.dispose()
            self._pools.clear()


class ScheduleWorker:
    """Runs every space's due schedules; start() returns at once (a background scheduler)."""

    def __init__(self, store: "Store", options: WorkerOptions | None = None, *,
                 name: str | None = None) -> None:
        from olympus.ops.schedule_exec import Attempt
        from olympus.ops.schedule_runs import Runs
        from olympus.ops.schedule_store import Schedules
        from olympus.workspace import Shared

        self.store, self.options = store, options or WorkerOptions.from_env()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.pools = Pools()
        self.attempt = Attempt(store, Shared(store, store.settings), self.options, self.pools)
        self.runs, self.schedules = Runs(store), Schedules(store)
        self._versions: dict[str, datetime] = {}
        self.scheduler = self._scheduler()

    def _scheduler(self):
        from apscheduler.schedulers.background import BackgroundScheduler

        return BackgroundScheduler(
            timezone=timezone.utc,
            executors={"default": OccurrenceExecutor(self.options.threads),
                       "sync": ThreadPoolExecutor(1)},  # busy runs never delay the sync
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.options.misfire_s)})

    def start(self) -> "ScheduleWorker":
        self.scheduler.add_job(self.sync, "interval", seconds=self.options.poll_s, id=SYNC_JOB,
                               next_run_time=datetime.now(timezone.utc), executor="sync")
        self.scheduler.start()
        log.info("Schedule worker %s started", self.name)
        return self

    def stop(self, *, wait: bool = True) -> None:
        """Stop firing; with wait, let running attempts finish (a killed worker's are retried)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.pools.close()

    # ---- jobs -----------------------------------------------------------------------------------
    def sync(self, due_at: datetime | None = None) -> None:
        """Mirror the schedules table into APScheduler jobs, then take over due retries."""
        try:
            self._sync_jobs()
            self._take_overs()
        except Exception:  # the store is down for a moment: the next poll tries again
            log.warning("Schedule sync failed", exc_info=True)

    def _sync_jobs(self) -> None:
        wanted = {s.id: s for s in self.schedules.list(enabled_only=True)}
        for schedule_id in [i for i in self._versions if i not in wanted]:
            self._versions.pop(schedule_id)
            if self.scheduler.get_job(schedule_id):
                self.scheduler.remove_job(schedule_id)
        for schedule in wanted.values():
            if self._versions.get(schedule.id) == schedule.updated_at:
                continue
            self.scheduler.add_job(self.fire, schedule.trigger(), id=schedule.id,
                                   args=[schedule.id, schedule.space], replace_existing=True,
                                   name=schedule.name)
            self._versions[schedule.id] = schedule.updated_at

    def fire(self, schedule_id: str, space: str, *, due_at: datetime | None = None) -> None:
        """An occurrence is due: run it if this worker's claim is the first."""
        claim = self.runs.claim(schedule_id, space, due_at or datetime.now(timezone.utc),
                                self.name, lease_s=self.options.lease_s)
        if claim is not None:
            self.attempt(claim)

    def _take_overs(self) -> None:
        """Retries whose time came, and attempts whose worker died (lease lapsed): the next
        attempt goes to whichever worker's UPDATE matches first; none left: failed."""
        for run_id, attempt, status in self.runs.takeovers():
            run = self.runs.get(run_id)
            schedule = self.schedules.by_id(run.schedule_id) if run else None
            if schedule is None or attempt >= schedule.max_attempts or not schedule.enabled:
                why = "its worker stopped during the run" if status == "running" else \
                    (run.error if run else None) or "the schedule is gone"
                why += "" if schedule is None or schedule.enabled else " (paused since)"
                error = f"Gave up after attempt {attempt}: {why}"
                if self.runs.abandon(run_id, attempt, status, error) and schedule is not None:
                    self.attempt.abandoned(schedule, Claim(run_id, schedule.id, run.due_at,
                                                           attempt, self.name), error)
                continue
            claim = self.runs.take_over(run_id, attempt, status, self.name,
                                        lease_s=self.options.lease_s)
            if claim is not None:
                self.scheduler.add_job(self._retry, args=[claim], id=f"retry:{run_id}:"
                                       f"{claim.attempt}", misfire_grace_time=None)

    def _retry(self, claim, *, due_at: datetime | None = None) -> None:
        self.attempt(claim)
