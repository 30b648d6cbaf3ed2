"""Every store table of olympus.ops; store_db runs `migrate` once (a numbered migration)."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.ops import schedule_tables
from olympus.ops import health_tables
from olympus.ops import token_tables

TABLES: list[sa.Table] = [*schedule_tables.TABLES, *health_tables.TABLES, *token_tables.TABLES]


def migrate(conn: sa.Connection) -> None:
    """Create this package's tables on a store that predates them."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
