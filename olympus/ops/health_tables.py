"""Store tables (defined on olympus.store_db.metadata) collected by olympus.ops.tables."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata  # noqa: F401  (tables below are defined on it)

TABLES: list[sa.Table] = []
