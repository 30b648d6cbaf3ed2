"""Store tables (defined on olympus.store_db.metadata) collected by olympus.semantic.tables."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# Descriptions written in Olympus for one connection's tables and columns, layered over the
# database's own comments (never written to the database). column '' is the table itself.
descriptions = sa.Table(
    "descriptions", metadata,
    sa.Column("connection_id", sa.String(36), primary_key=True),
    sa.Column("table_name", sa.String(500), primary_key=True),  # "schema.table"
    sa.Column("column_name", sa.String(300), primary_key=True, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_by", sa.String(320)),
    sa.Column("updated_at", TS, nullable=False),
)
# A space's business terms: definition, synonyms, optional SQL expression or metric; for one
# connection or (connection_id NULL) for every connection of the space.
glossary = sa.Table(
    "glossary", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("term", sa.String(200), nullable=False),
    sa.Column("definition", sa.Text, nullable=False, server_default=""),
    sa.Column("synonyms_json", sa.Text, nullable=False, server_default="[]"),
    sa.Column("sql_expression", sa.Text),
    sa.Column("connection_id", sa.String(36)),
    sa.Column("updated_by", sa.String(320)),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_glossary_space", "space"),
)

TABLES: list[sa.Table] = [descriptions, glossary]
