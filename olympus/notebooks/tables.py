"""Every store table of olympus.notebooks; store_db runs `migrate` once (a numbered migration)."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.notebooks import notebook_tables

TABLES: list[sa.Table] = [*notebook_tables.TABLES]


def migrate(conn: sa.Connection) -> None:
    """Create this package's tables on a store that predates them."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
