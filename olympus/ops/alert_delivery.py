"""Evaluate a schedule's alerts on a fresh snapshot and deliver the ones that fire."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from olympus.ops.schedule_store import Schedules
    from olympus.ops.schedules import Run, Schedule

log = logging.getLogger(__name__)


def deliver(schedules: "Schedules", schedule: "Schedule", snap: Mapping[str, Any],
            digest: str, previous: "Run | None", due_at: datetime) -> list[dict[str, Any]]:
    """One entry per alert that fired: delivered or why not (a failed delivery doesn't fail
    the run: its result is kept and the failure is shown with the run)."""
    from olympus.ops.alerts import fires, message
    from olympus.ops.notify import private_ok, send

    allow_private = private_ok(schedules.store.settings)

    fired: list[dict[str, Any]] = []
    for alert in schedules.alerts(schedule):
        if not fires(alert, snap, digest, previous):
            continue
        entry = {"alert": alert.id, "label": alert.label, "condition": alert.describe,
                 "delivered": False, "error": None}
        try:
            text = message(schedule.name, alert, snap, due_at=due_at.isoformat())
            send(alert.channel, schedules.alert_settings(alert),
                 f"Olympus alert: {schedule.name}", text, allow_private=allow_private)
            entry["delivered"] = True
        except Exception as exc:  # noqa: BLE001 - recorded with the run, never raised
            from olympus.workspace_audit import error_text

            entry["error"] = error_text(exc)
            log.warning("Alert %s of schedule %s not delivered: %s", alert.id, schedule.id,
                        entry["error"])
        fired.append(entry)
    return fired
