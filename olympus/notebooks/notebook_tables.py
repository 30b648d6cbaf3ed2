"""Store tables (defined on olympus.store_db.metadata) collected by olympus.notebooks.tables."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.store_db import TS, metadata

# A notebook of one space: its document (cells + parameters as JSON) autosaved in place;
# `version` is the newest numbered version (0: never saved as a version).
notebooks = sa.Table(
    "notebooks", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("space", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("doc_json", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(320)),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String(320)),
    sa.UniqueConstraint("space", "name", name="uq_notebooks_space_name"),
)
# Each explicit save, run-all or restore: the whole document as it was (append-only).
notebook_versions = sa.Table(
    "notebook_versions", metadata,
    sa.Column("notebook_id", sa.String(36), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("doc_json", sa.Text, nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),  # save | run_all | restore
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(320)),
)
# The last run of each cell: a fingerprint of what ran (compiled SQL, its bound values and
# connection), so a cell whose upstream SQL or parameters changed since is reported stale.
notebook_cell_runs = sa.Table(
    "notebook_cell_runs", metadata,
    sa.Column("notebook_id", sa.String(36), primary_key=True),
    sa.Column("cell_id", sa.String(36), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # ok | error | cancelled
    sa.Column("row_count", sa.Integer),
    sa.Column("elapsed_ms", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("ran_at", TS, nullable=False),
    sa.Column("ran_by", sa.String(320)),
    # the result as Arrow IPC (its first rows up to results.SNAPSHOT_BYTES): what members who
    # may view but not query, and new sessions, see without running anything
    sa.Column("result_ipc", sa.LargeBinary),
)

TABLES: list[sa.Table] = [notebooks, notebook_versions, notebook_cell_runs]
