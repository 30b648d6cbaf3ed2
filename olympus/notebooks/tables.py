"""Store tables of olympus.notebooks, on the store's one metadata; store_db runs `migrate` once."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata  # noqa: F401  (tables below are defined on it)

TABLES: list[sa.Table] = []


def migrate(conn: sa.Connection) -> None:
    """Create this package's tables on a store that predates them."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
