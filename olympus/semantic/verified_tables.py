"""Store tables (defined on olympus.store_db.metadata) collected by olympus.semantic.tables."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# A question and the SQL that answers it, vouched for by a person: few-shot examples for the
# agent. `reads_json` is its lineage (["main.loans.principal", ...]); a schema refresh that
# removes or renames what it reads marks it stale, with the reason.
verified_queries = sa.Table(
    "verified_queries", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("connection_id", sa.String(36), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("reads_json", sa.Text, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # ask | notebook | cli
    sa.Column("created_by", sa.String(320)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("verified_by", sa.String(320)),  # who last vouched for it (the saver, or an admin)
    sa.Column("stale", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("stale_reason", sa.Text),
    sa.Column("checked_at", TS),
    sa.Index("ix_verified_space_connection", "space", "connection_id"),
)

TABLES: list[sa.Table] = [verified_queries]
