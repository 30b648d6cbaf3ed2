"""One attempt of one occurrence: act as the schedule's owner, run, snapshot, alert, record."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from olympus.errors import ConfigError, OlympusError, UnsafeSQL
from olympus.ops.schedule_runs import Claim, Outcome, Runs
from olympus.ops.schedule_store import Schedules
from olympus.ops.schedules import Schedule
from olympus.store import NotFound
from olympus.store_db import now
from olympus.teams import LOCAL_USER, Forbidden, Principal

if TYPE_CHECKING:
    from olympus.ops.worker import WorkerOptions
    from olympus.store import Store
    from olympus.workspace import Shared

log = logging.getLogger(__name__)
PERMANENT = (Forbidden, UnsafeSQL, ConfigError, NotFound)  # retrying can't help: fail at once


def owner_principal(store: "Store", schedule: Schedule) -> Principal:
    """The schedule's creator with their role in its space NOW; gone from it: Forbidden."""
    from olympus.store_teams import Teams

    if schedule.created_by == LOCAL_USER and store.settings.auth == "none":
        return Principal(LOCAL_USER, schedule.space, "admin")
    role = dict(Teams(store).spaces_for(schedule.created_by)).get(schedule.space)
    if role is None:
        raise Forbidden(f"{schedule.created_by}, who created this schedule, is no longer a "
                        "member of its space.",
                        suggestion="An editor of the space can recreate the schedule.")
    return Principal(schedule.created_by, schedule.space, role)


class Attempt:
    """Runs one claimed attempt; a heartbeat thread keeps its lease while the query runs."""

    def __init__(self, store: "Store", shared: "Shared", options: "WorkerOptions",
                 connectors: Any) -> None:
        self.store, self.shared, self.options, self.connectors = store, shared, options, connectors
        self.runs, self.schedules = Runs(store), Schedules(store)

    def __call__(self, claim: Claim) -> Outcome | None:
        if not self.runs.heartbeat(claim, lease_s=self.options.lease_s):
            return None  # queued too long: another worker has taken this attempt over
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(claim, stop), daemon=True)
        beat.start()
        schedule = self.schedules.by_id(claim.schedule_id)
        started = time.perf_counter()
        try:
            outcome = self._attempt(schedule, claim)
        except Exception as exc:  # every failure is recorded; the worker keeps going
            outcome = self._failed(schedule, claim, exc, started)
        finally:
            stop.set()
        self.runs.finish(claim, outcome)
        if schedule is not None:
            self.runs.prune(schedule.id, schedule.keep_runs)
            self._audit(schedule, claim, outcome)
        return outcome

    def _beat(self, claim: Claim, stop: threading.Event) -> None:
        while not stop.wait(self.options.lease_s / 3):
            try:
                self.runs.heartbeat(claim, lease_s=self.options.lease_s)
            except Exception:  # a store hiccup: the next beat tries again
                log.warning("Heartbeat of run %s failed", claim.run_id, exc_info=True)

    def _attempt(self, schedule: Schedule | None, claim: Claim) -> Outcome:
        from olympus.ops.alert_delivery import deliver
        from olympus.ops.alerts import digest, snapshot

        if schedule is None:
            raise ConfigError("The schedule was deleted before it ran.")
        ws = self._workspace(schedule)
        result = self._result(ws, schedule)
        snap = snapshot(result.df, row_count=result.row_count,
                        max_bytes=self.options.snapshot_bytes)
        fingerprint = digest(result.df)
        previous = self.runs.previous_ok(schedule.id, claim.due_at)
        fired = deliver(self.schedules, schedule, snap, fingerprint, previous, claim.due_at)
        return Outcome("ok", elapsed_ms=round(result.elapsed_ms, 1), row_count=result.row_count,
                       snapshot=snap, digest=fingerprint, alerts=tuple(fired))

    def _workspace(self, schedule: Schedule):
        from olympus.workspace import Workspace

        return Workspace(self.store, principal=owner_principal(self.store, schedule),
                         settings=self.store.settings, shared=self.shared,
                         connector_factory=self.connectors)

    def _result(self, ws, schedule: Schedule):
        """The saved query's result, or the last result of the notebook's cells."""
        if schedule.target == "query":
            import inspect

            fresh = {"refresh": True} if "refresh" in inspect.signature(ws.run_sql).parameters \
                else {}  # a schedule reports the data as it is now, never a cached result
            return ws.run_sql(schedule.connection_id, schedule.sql, source="schedule", **fresh)
        run = ws.run_all(schedule.notebook, dict(schedule.params))
        failed = next((c for c in run.cells if c.status not in ("ok", "skipped")), None)
        if failed is not None:
            raise failed.error or OlympusError(f"Cell {failed.name!r} was {failed.status}.")
        results = [c.result for c in run.cells if c.result is not None]
        if not results:
            raise ConfigError(f"The notebook {schedule.notebook!r} has no cell with a result.")
        return results[-1]

    def _failed(self, schedule: Schedule | None, claim: Claim, exc: Exception,
                started: float) -> Outcome:
        from olympus.workspace_audit import error_text

        text = error_text(exc)
        if not isinstance(exc, OlympusError):
            log.warning("Scheduled run %s failed", claim.run_id, exc_info=True)
        attempts = schedule.max_attempts if schedule is not None else 1
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        if isinstance(exc, PERMANENT) or claim.attempt >= attempts:
            return Outcome("failed", elapsed_ms=elapsed, error=text)
        wait = self.options.retry_s * 2 ** (claim.attempt - 1)
        return Outcome("retrying", elapsed_ms=elapsed, error=text,
                       retry_at=now() + timedelta(seconds=wait))

    def abandoned(self, schedule: Schedule, claim: Claim, error: str) -> None:
        """A lapsed attempt with none left was marked failed: say so in the activity log."""
        self._audit(schedule, claim, Outcome("failed", error=error))

    def _audit(self, schedule: Schedule, claim: Claim, outcome: Outcome) -> None:
        """One activity row per attempt, as the schedule's owner (failures included)."""
        from olympus.store_audit import AuditLog

        sent = [a for a in outcome.alerts if a.get("delivered")]
        detail = (f"{schedule.name}: due {claim.due_at.isoformat()}, attempt {claim.attempt}, "
                  f"{outcome.status}")
        if outcome.error:
            detail += f" ({outcome.error})"
        if outcome.alerts:
            detail += f"; alerts fired {len(outcome.alerts)}, delivered {len(sent)}"
        status = {"ok": "ok", "retrying": "error", "failed": "error"}[outcome.status]
        AuditLog(self.store).append(
            user=schedule.created_by, space=schedule.space, action="schedule_run",
            status=status, connection_id=schedule.connection_id, sql=schedule.sql,
            rows=outcome.row_count, elapsed_ms=outcome.elapsed_ms, detail=detail)
