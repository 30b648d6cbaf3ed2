"""Reads and writes of the ops tables that aren't schedules: preview thresholds, health checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from olympus.ops.health_tables import connection_health, connection_ops
from olympus.store_db import now, write

if TYPE_CHECKING:
    from olympus.store import Store


def thresholds(store: "Store", connection_id: str) -> tuple[int | None, int | None]:
    query = sa.select(connection_ops.c.confirm_bytes, connection_ops.c.confirm_rows).where(
        connection_ops.c.connection_id == connection_id)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return (row[0], row[1]) if row else (None, None)


def set_thresholds(store: "Store", connection_id: str, confirm_bytes: int | None,
                   confirm_rows: int | None) -> None:
    with write(store.engine) as conn:
        conn.execute(connection_ops.delete().where(
            connection_ops.c.connection_id == connection_id))
        conn.execute(connection_ops.insert().values(
            connection_id=connection_id, confirm_bytes=confirm_bytes, confirm_rows=confirm_rows,
            updated_at=now()))


def forget(store: "Store", connection_id: str) -> None:
    """Drop a removed connection's thresholds and health checks."""
    with write(store.engine) as conn:
        for table in (connection_ops, connection_health):
            conn.execute(table.delete().where(table.c.connection_id == connection_id))
