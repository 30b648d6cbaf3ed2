"""Store tables of schedules, their runs (one row per occurrence) and alerts."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# A saved query (connection + SQL) or a notebook, run on a cron expression or a fixed interval.
schedules = sa.Table(
    "schedules", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),  # runs act as this user, role re-read
    sa.Column("target", sa.String(20), nullable=False),  # query | notebook
    sa.Column("connection_id", sa.String(36)),  # query: which connection
    sa.Column("sql", sa.Text),  # query: the saved statement
    sa.Column("notebook", sa.String(200)),  # notebook: its name or id
    sa.Column("params_json", sa.Text),  # notebook: parameter values
    sa.Column("cron", sa.String(120)),  # five-field crontab, or None for an interval
    sa.Column("interval_s", sa.Integer),
    sa.Column("timezone", sa.String(64), nullable=False),
    # interval occurrences are anchor + k * interval: every worker computes the same instants
    sa.Column("anchor_at", TS, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("keep_runs", sa.Integer, nullable=False),  # snapshots kept (older ones dropped)
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("space", "name", name="uq_schedules_space_name"),
)
# One row per occurrence: the unique (schedule_id, due_at) is the claim that makes it run once.
schedule_runs = sa.Table(
    "schedule_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schedule_id", sa.String(36), nullable=False),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("due_at", TS, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | retrying | ok | failed
    sa.Column("worker", sa.String(200)),
    sa.Column("lease_until", TS),  # a running attempt whose lease lapsed: its worker died
    sa.Column("retry_at", TS),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Column("elapsed_ms", sa.Float),
    sa.Column("row_count", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("snapshot_json", sa.Text),  # first rows, byte-capped; cleared past keep_runs
    sa.Column("digest", sa.String(64)),  # of the whole result: "changed" alerts compare it
    sa.Column("alerts_json", sa.Text),  # what fired and whether it was delivered
    sa.UniqueConstraint("schedule_id", "due_at", name="uq_schedule_runs_occurrence"),
    sa.Index("ix_schedule_runs_status", "status"),
)
# A condition on a schedule's result and where to say so; the channel settings are encrypted.
schedule_alerts = sa.Table(
    "schedule_alerts", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("schedule_id", sa.String(36), nullable=False),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("condition", sa.String(20), nullable=False),  # any_rows | above | below | changed
    sa.Column("column", sa.String(200)),
    sa.Column("threshold", sa.Float),
    sa.Column("channel", sa.String(20), nullable=False),  # webhook | email
    sa.Column("label", sa.String(400), nullable=False),  # secret-free: webhook host, recipients
    sa.Column("settings_encrypted", sa.Text, nullable=False),  # Fernet token (store keyring)
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_schedule_alerts_schedule", "schedule_id"),
)

TABLES: list[sa.Table] = [schedules, schedule_runs, schedule_alerts]
