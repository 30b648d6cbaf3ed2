"""Every store table of olympus.semantic; store_db runs `migrate` once (a numbered migration)."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.semantic import layer_tables
from olympus.semantic import verified_tables

TABLES: list[sa.Table] = [*layer_tables.TABLES, *verified_tables.TABLES]


def migrate(conn: sa.Connection) -> None:
    """Create this package's tables on a store that predates them."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
