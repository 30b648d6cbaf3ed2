"""Store tables (defined on olympus.store_db.metadata) collected by olympus.ops.tables: per-connection
cost-preview thresholds and the latest health check."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# Above either figure the app asks before running (None: the defaults in olympus.ops.cost).
connection_ops = sa.Table(
    "connection_ops", metadata,
    sa.Column("connection_id", sa.String(36), primary_key=True),
    sa.Column("confirm_bytes", sa.BigInteger),
    sa.Column("confirm_rows", sa.BigInteger),
    sa.Column("updated_at", TS, nullable=False),
)
# The latest health check of each connection, shared by every replica (one row each).
connection_health = sa.Table(
    "connection_health", metadata,
    sa.Column("connection_id", sa.String(36), primary_key=True),
    sa.Column("checked_at", TS, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("latency_ms", sa.Float),
    sa.Column("error", sa.Text),  # the friendly title and message, never a secret
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),  # in a row
)

TABLES: list[sa.Table] = [connection_ops, connection_health]
