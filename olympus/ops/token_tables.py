"""Store tables (defined on olympus.store_db.metadata) collected by olympus.ops.tables."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# Personal access tokens for the MCP server: only a SHA-256 of the secret is kept; the secret is
# shown once when created. A token acts as its user in its space with the user's CURRENT role.
access_tokens = sa.Table(
    "access_tokens", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("space_id", sa.String(200), nullable=False),
    sa.Column("user", sa.String(320), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(20), nullable=False),  # shown in lists to tell tokens apart
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_used_at", TS),
    sa.Column("revoked_at", TS),
    sa.Index("ix_access_tokens_space_user", "space_id", "user"),
)

TABLES: list[sa.Table] = [access_tokens]
