"""What a schedule, a run and an alert are, how their timing is checked, and their triggers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from olympus.errors import ConfigError

TARGETS = ("query", "notebook")
CONDITIONS = ("any_rows", "above", "below", "changed")
CHANNELS = ("webhook", "email")
MIN_INTERVAL_S = 10  # a busy worker can't keep up with less; a cron runs at most every minute
DEFAULT_ATTEMPTS = 3
DEFAULT_KEEP = 20


@dataclass(frozen=True)
class Schedule:
    """A saved query or notebook with its timing; `created_by` is the user its runs act as."""

    id: str
    space: str
    name: str
    created_by: str
    target: str
    connection_id: str | None
    sql: str | None
    notebook: str | None
    params: Mapping[str, Any]
    cron: str | None
    interval_s: int | None
    timezone: str
    anchor_at: datetime
    enabled: bool
    max_attempts: int
    keep_runs: int
    created_at: datetime
    updated_at: datetime

    @property
    def timing(self) -> str:
        """The timing in words for lists: 'every 300 s' or 'cron 0 8 * * 1-5 (Europe/Paris)'."""
        if self.cron:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {self.interval_s} s"

    def trigger(self):
        """The APScheduler trigger; interval occurrences are anchored so workers agree on them."""
        return make_trigger(cron=self.cron, interval_s=self.interval_s, tz=self.timezone,
                            anchor=self.anchor_at)


@dataclass(frozen=True)
class Run:
    """One occurrence of a schedule: its current attempt, outcome and result snapshot."""

    id: int
    schedule_id: str
    due_at: datetime
    attempt: int
    status: str  # running | retrying | ok | failed
    worker: str | None
    started_at: datetime | None
    finished_at: datetime | None
    elapsed_ms: float | None
    row_count: int | None
    error: str | None
    retry_at: datetime | None
    snapshot: Mapping[str, Any] | None = field(default=None, compare=False)
    digest: str | None = None
    alerts: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Alert:
    """A condition on a schedule's result and a channel; `label` never holds a secret."""

    id: str
    schedule_id: str
    condition: str
    column: str | None
    threshold: float | None
    channel: str
    label: str
    created_at: datetime

    @property
    def describe(self) -> str:
        """The condition in words ('total above 100')."""
        if self.condition == "any_rows":
            return "the result has rows"
        if self.condition == "changed":
            return "the result changed since the previous run"
        return f"{self.column} {self.condition} {self.threshold:g}"


def utc(value: datetime | None) -> datetime | None:
    """Stores differ: SQLite hands back naive UTC, PostgreSQL aware; callers get aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else \
        value.astimezone(timezone.utc)


def make_trigger(*, cron: str | None, interval_s: int | None, tz: str, anchor: datetime):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = check_timezone(tz)
    if cron:
        return CronTrigger.from_crontab(cron, timezone=zone)
    return IntervalTrigger(seconds=int(interval_s or 0), start_date=utc(anchor), timezone=zone)


def check_timezone(tz: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(tz).strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"Unknown time zone {tz!r}.", fields=("timezone",),
                          suggestion="Use an IANA name such as UTC or Europe/Paris.") from None


def check_timing(cron: str | None, interval_s: int | None,
                 tz: str) -> tuple[str | None, int | None]:
    """Exactly one of a valid five-field cron expression or an interval of >= MIN_INTERVAL_S."""
    cron = (cron or "").strip() or None
    check_timezone(tz)
    if (cron is None) == (interval_s is None):
        raise ConfigError("Give either a cron expression or an interval, not both.",
                          fields=("cron", "interval_s"),
                          suggestion="For example cron '0 8 * * 1-5' or an interval of 3600 s.")
    if cron is not None:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron, timezone=check_timezone(tz))
        except ValueError as exc:
            raise ConfigError(f"Not a valid cron expression: {cron!r} ({exc}).",
                              fields=("cron",),
                              suggestion="Five fields: minute hour day month weekday.") from None
        return cron, None
    if int(interval_s) < MIN_INTERVAL_S:
        raise ConfigError(f"An interval must be at least {MIN_INTERVAL_S} s.",
                          fields=("interval_s",))
    return None, int(interval_s)


def loads(text: str | None, default: Any = None) -> Any:
    return default if not text else json.loads(text)
