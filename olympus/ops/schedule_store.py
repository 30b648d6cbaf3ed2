"""Schedules and alerts in the store; every method is one short transaction, scoped by space."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping

import sqlalchemy as sa

from olympus.errors import ConfigError
from olympus.ops.schedule_tables import schedule_alerts, schedule_runs, schedules
from olympus.ops.schedules import Alert, Schedule, loads, utc
from olympus.store_db import now

if TYPE_CHECKING:
    from olympus.store import Store


class ScheduleNotFound(ConfigError):
    kind, title = "not_found", "Schedule not found"
    suggestion = "Check the name; list the schedules to see what exists."


class Schedules:
    """Schedule and alert rows of one store (runs: olympus.ops.schedule_runs)."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    # ---- schedules ------------------------------------------------------------------------------
    def add(self, space: str, values: Mapping[str, Any]) -> Schedule:
        at = now()
        row = {**values, "id": str(uuid.uuid4()), "space": space, "created_at": at,
               "updated_at": at, "anchor_at": at.replace(microsecond=0)}
        row["params_json"] = json.dumps(dict(row.pop("params", None) or {}))
        with self.store._write() as conn:
            self._check_free(conn, space, row["name"])
            conn.execute(schedules.insert().values(**row))
        return self.get(space, row["id"])

    def update(self, space: str, key: str, values: Mapping[str, Any]) -> Schedule:
        """Change fields; a new timing re-anchors intervals so the next run is one interval away."""
        current = self.get(space, key)
        changes = dict(values)
        if "params" in changes:
            changes["params_json"] = json.dumps(dict(changes.pop("params") or {}))
        at = now()
        if {"cron", "interval_s", "timezone"} & changes.keys():
            changes["anchor_at"] = at.replace(microsecond=0)
        with self.store._write() as conn:
            if changes.get("name") not in (None, current.name):
                self._check_free(conn, space, changes["name"])
            conn.execute(schedules.update().where(schedules.c.id == current.id)
                         .values(**changes, updated_at=at))
        return self.get(space, current.id)

    def remove(self, space: str, key: str) -> Schedule:
        current = self.get(space, key)
        with self.store._write() as conn:
            conn.execute(schedule_alerts.delete().where(
                schedule_alerts.c.schedule_id == current.id))
            conn.execute(schedule_runs.delete().where(schedule_runs.c.schedule_id == current.id))
            conn.execute(schedules.delete().where(schedules.c.id == current.id))
        return current

    def get(self, space: str, key: str) -> Schedule:
        """By id or name within the space."""
        query = sa.select(schedules).where(schedules.c.space == space, sa.or_(
            schedules.c.id == str(key), schedules.c.name == str(key)))
        with self.store._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise ScheduleNotFound(f"No schedule named {str(key)!r} in this space.")
        return _schedule(row)

    def by_id(self, schedule_id: str) -> Schedule | None:
        """Any space's schedule (the worker's view; it then acts as the schedule's owner)."""
        with self.store._read() as conn:
            row = conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).first()
        return None if row is None else _schedule(row)

    def list(self, space: str | None = None, *, enabled_only: bool = False) -> list[Schedule]:
        """One space's schedules by name; every space's when space is None (the worker)."""
        query = sa.select(schedules).order_by(schedules.c.space, schedules.c.name)
        if space is not None:
            query = query.where(schedules.c.space == space)
        if enabled_only:
            query = query.where(schedules.c.enabled == sa.true())
        with self.store._read() as conn:
            return [_schedule(r) for r in conn.execute(query)]

    def _check_free(self, conn, space: str, name: str) -> None:
        if conn.execute(sa.select(schedules.c.id).where(
                schedules.c.space == space, schedules.c.name == name)).first():
            raise ConfigError(f"A schedule named {name!r} already exists.", fields=("name",),
                              title="Name already used", suggestion="Pick another name.")

    # ---- alerts ---------------------------------------------------------------------------------
    def add_alert(self, schedule: Schedule, values: Mapping[str, Any],
                  settings: Mapping[str, Any]) -> Alert:
        """The channel settings (webhook URL, SMTP password...) are stored Fernet-encrypted."""
        row = {**values, "id": str(uuid.uuid4()), "schedule_id": schedule.id,
               "space": schedule.space, "created_at": now(),
               "settings_encrypted": self.store.keyring().encrypt(settings)}
        with self.store._write() as conn:
            conn.execute(schedule_alerts.insert().values(**row))
        return next(a for a in self.alerts(schedule) if a.id == row["id"])

    def alerts(self, schedule: Schedule) -> list[Alert]:
        columns = [c for c in schedule_alerts.c if c.name not in ("settings_encrypted", "space")]
        query = sa.select(*columns).where(schedule_alerts.c.schedule_id == schedule.id,
                                          schedule_alerts.c.space == schedule.space)
        with self.store._read() as conn:
            return [replace(Alert(**r._mapping), created_at=utc(r.created_at))
                    for r in conn.execute(query.order_by(schedule_alerts.c.created_at))]

    def alert_settings(self, alert: Alert) -> dict[str, Any]:
        """Decrypted channel settings, for the notifier only (never shown, never logged)."""
        with self.store._read() as conn:
            token = conn.execute(sa.select(schedule_alerts.c.settings_encrypted).where(
                schedule_alerts.c.id == alert.id)).scalar_one()
        return self.store.keyring().decrypt(token)

    def remove_alert(self, schedule: Schedule, alert_id: str) -> bool:
        with self.store._write() as conn:
            done = conn.execute(schedule_alerts.delete().where(
                schedule_alerts.c.id == alert_id, schedule_alerts.c.schedule_id == schedule.id))
        return done.rowcount > 0


def _schedule(row) -> Schedule:
    values = dict(row._mapping)
    values["params"] = loads(values.pop("params_json"), {})
    for key in ("anchor_at", "created_at", "updated_at"):
        values[key] = utc(values[key])
    return Schedule(**values)
