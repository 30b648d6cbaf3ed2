"""Workspace methods: schedules, runs and alerts (mixed in through olympus.ops.facade)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from olympus.workspace_audit import audited

if TYPE_CHECKING:
    from olympus.ops.schedule_runs import Outcome
    from olympus.ops.schedule_store import Schedules
    from olympus.ops.schedules import Alert, Run, Schedule

_TIMING = ("cron", "interval_s", "timezone")
_EDITABLE = ("name", "sql", "connection", "notebook", "params", *_TIMING, "enabled",
             "max_attempts", "keep_runs")


class ScheduleMethods:
    """Schedules, runs and alerts for the signed-in user and space (self.principal, self.owner).
    Viewers see them; editors create them (runs act as their creator, with the role the creator
    has at run time); only the creator or an admin changes one."""

    @property
    def schedule_store(self) -> "Schedules":
        from olympus.ops.schedule_store import Schedules

        return Schedules(self.store)

    def schedules(self) -> list["Schedule"]:
        self.principal.require("view")
        return self.schedule_store.list(self.owner)

    def schedule(self, name: str) -> "Schedule":
        self.principal.require("view")
        return self.schedule_store.get(self.owner, name)

    @audited("schedule_create")
    def create_schedule(self, name: str, *, connection: str | None = None,
                        sql: str | None = None, notebook: str | None = None,
                        params: Mapping[str, Any] | None = None, cron: str | None = None,
                        interval_s: int | None = None, timezone: str = "UTC",
                        enabled: bool = True, max_attempts: int | None = None,
                        keep_runs: int | None = None) -> "Schedule":
        """A saved query (connection + sql) or a notebook (by name) on a cron or an interval."""
        from olympus.ops.schedules import DEFAULT_ATTEMPTS, DEFAULT_KEEP

        self.principal.require("save")
        self.principal.require("query")
        values = self._schedule_values(
            name=name, connection=connection, sql=sql, notebook=notebook, params=params,
            cron=cron, interval_s=interval_s, timezone=timezone, enabled=enabled,
            max_attempts=max_attempts or DEFAULT_ATTEMPTS, keep_runs=keep_runs or DEFAULT_KEEP)
        return self.schedule_store.add(self.owner, {**values, "created_by": self.principal.user})

    @audited("schedule_edit", lambda a: f"{a['name']}: {', '.join(sorted(a['changes']))}")
    def update_schedule(self, name: str, **changes: Any) -> "Schedule":
        """Change any of name, sql, connection, notebook, params, cron/interval_s/timezone,
        enabled, max_attempts, keep_runs (a new timing restarts the interval from now)."""
        current = self._own_schedule(name)
        unknown = sorted(set(changes) - set(_EDITABLE))
        if unknown:
            from olympus.errors import ConfigError

            raise ConfigError(f"Unknown schedule setting(s): {', '.join(unknown)}.")
        merged = {"name": current.name, "connection": current.connection_id,
                  "sql": current.sql, "notebook": current.notebook, "params": current.params,
                  "cron": current.cron, "interval_s": current.interval_s,
                  "timezone": current.timezone, "enabled": current.enabled,
                  "max_attempts": current.max_attempts, "keep_runs": current.keep_runs}
        if {"cron", "interval_s"} & changes.keys():  # one timing replaces the other
            merged.update(cron=None, interval_s=None)
        values = self._schedule_values(**{**merged, **changes})
        if not _timing_changed(current, values):
            values = {k: v for k, v in values.items() if k not in _TIMING}
        return self.schedule_store.update(self.owner, current.id, values)

    def pause_schedule(self, name: str, paused: bool = True) -> "Schedule":
        return self.update_schedule(name, enabled=not paused)

    @audited("schedule_delete")
    def delete_schedule(self, name: str) -> "Schedule":
        return self.schedule_store.remove(self.owner, self._own_schedule(name).id)

    def schedule_runs(self, name: str, *, limit: int = 20) -> list["Run"]:
        """Newest first, with status, attempts, errors, alerts and the kept snapshots."""
        from olympus.ops.schedule_runs import Runs

        return Runs(self.store).recent(self.schedule(name).id, limit=limit)

    def notebook_schedules(self, notebook: str) -> list[tuple["Schedule", "Run | None"]]:
        """The schedules of one notebook with their latest run (shown on the notebook)."""
        from olympus.ops.schedule_runs import Runs

        found = [s for s in self.schedules() if s.target == "notebook"
                 and s.notebook in (notebook, self.notebook(notebook).id)]
        return [(s, next(iter(Runs(self.store).recent(s.id, limit=1)), None)) for s in found]

    @audited("schedule_run_now")
    def run_schedule_now(self, name: str) -> "Outcome":
        """Run one occurrence now in this process (as the schedule's owner, like the worker)."""
        from olympus.ops.schedule_exec import Attempt
        from olympus.ops.schedule_runs import Runs
        from olympus.ops.worker import Pools, WorkerOptions
        from olympus.store_db import now

        schedule = self._own_schedule(name)
        options = WorkerOptions.from_env()
        claim = Runs(self.store).claim(schedule.id, schedule.space, now(),
                                       f"{self.principal.user} (run now)", lease_s=options.lease_s)
        if claim is None:
            from olympus.errors import ConfigError

            raise ConfigError("This schedule is already running this second.",
                              suggestion="Wait a moment and look at its runs.")
        return Attempt(self.store, self.shared, options,
                       self.connector_factory or Pools())(claim)

    # ---- alerts ---------------------------------------------------------------------------------
    def schedule_alerts(self, name: str) -> list["Alert"]:
        return self.schedule_store.alerts(self.schedule(name))

    @audited("alert_add", lambda a: f"{a['name']}: {a['condition']} by {a['channel']}")
    def add_alert(self, name: str, *, condition: str, channel: str,
                  settings: Mapping[str, Any], column: str | None = None,
                  threshold: float | None = None) -> "Alert":
        """settings: webhook {url}; email {host, port, sender, recipients, username, password,
        starttls}. Stored encrypted; only a secret-free label is ever shown."""
        from olympus.ops.alerts import check_condition
        from olympus.ops.notify import check_channel

        schedule = self._own_schedule(name)
        column, threshold = check_condition(condition, column, threshold)
        clean, label = check_channel(channel, settings)
        from olympus.ops.notify import check_reachable, private_ok

        if not private_ok(self.settings):
            check_reachable(channel, clean)
        self.store.check_key()
        return self.schedule_store.add_alert(schedule, {
            "condition": condition, "column": column, "threshold": threshold,
            "channel": channel, "label": label}, clean)

    @audited("alert_delete", lambda a: f"{a['name']}: {a['alert_id']}")
    def remove_alert(self, name: str, alert_id: str) -> bool:
        return self.schedule_store.remove_alert(self._own_schedule(name), alert_id)

    # ---- internals ------------------------------------------------------------------------------
    def _own_schedule(self, name: str) -> "Schedule":
        """Changing a schedule changes what runs as its creator: the creator or an admin only."""
        from olympus.teams import Forbidden

        self.principal.require("save")
        schedule = self.schedule(name)
        if schedule.created_by != self.principal.user and not self.principal.can("manage"):
            raise Forbidden(f"Only {schedule.created_by} (who created it) or an admin can "
                            "change this schedule.")
        return schedule

    def _schedule_values(self, *, name: str, connection: str | None, sql: str | None,
                         notebook: str | None, params: Mapping[str, Any] | None,
                         cron: str | None, interval_s: int | None, timezone: str,
                         enabled: bool, max_attempts: int, keep_runs: int) -> dict[str, Any]:
        from olympus.errors import ConfigError
        from olympus.ops.schedules import check_timing

        name = str(name or "").strip()
        if not name:
            raise ConfigError("A schedule needs a name.", fields=("name",))
        cron, interval_s = check_timing(cron, interval_s, timezone)
        target = self._schedule_target(connection, sql, notebook)
        if not 1 <= int(max_attempts) <= 10 or not 1 <= int(keep_runs) <= 1000:
            raise ConfigError("Attempts must be 1-10 and kept runs 1-1000.",
                              fields=("max_attempts", "keep_runs"))
        return {"name": name, **target, "params": dict(params or {}), "cron": cron,
                "interval_s": interval_s, "timezone": str(timezone).strip() or "UTC",
                "enabled": bool(enabled), "max_attempts": int(max_attempts),
                "keep_runs": int(keep_runs)}

    def _schedule_target(self, connection: str | None, sql: str | None,
                         notebook: str | None) -> dict[str, Any]:
        from olympus.errors import ConfigError

        if notebook and not (connection or sql):
            found = self.notebook(notebook)  # exists in this space, visible to this user
            return {"target": "notebook", "notebook": found.id, "connection_id": None,
                    "sql": None}
        if not connection or not str(sql or "").strip() or notebook:
            raise ConfigError("A schedule runs either a saved query (a connection and SQL) or "
                              "a notebook.", fields=("connection", "sql", "notebook"))
        record = self.get(connection)  # exists and is granted to this user
        return {"target": "query", "connection_id": record.id, "sql": str(sql).strip(),
                "notebook": None}


def _timing_changed(current: "Schedule", values: Mapping[str, Any]) -> bool:
    return (current.cron, current.interval_s, current.timezone) != (
        values["cron"], values["interval_s"], values["timezone"])
