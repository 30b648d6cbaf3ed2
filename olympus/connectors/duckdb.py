"""DuckDB files, opened read-only in-process; results straight to Arrow."""

from __future__ import annotations

import threading
from typing import Iterable

from olympus.connectors._catalog import assemble
from olympus.connectors.base import Fetched, FileConnector, Progress
from olympus.errors import ConnectionFailed, ErrorRule, PermissionDenied, UnsafeSQL

TABLES_SQL = """
SELECT schema_name, table_name, 'table', comment, estimated_size FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT schema_name, view_name, 'view', comment, NULL FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal AND NOT temporary"""

COLUMNS_SQL = """
SELECT schema_name, table_name, column_name, data_type, is_nullable, comment, column_default
FROM duckdb_columns() WHERE database_name = current_database() AND NOT internal
ORDER BY schema_name, table_name, column_index"""

KEYS_SQL = """
SELECT schema_name, table_name, constraint_type, constraint_column_names,
       referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE database_name = current_database()
  AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"""


# No file/network access from SQL (read_csv('/etc/passwd')), and SQL can't switch it back on.
SAFE_CONFIG = {"enable_external_access": False, "lock_configuration": True}


class DuckDB(FileConnector):
    """An embedded DuckDB file (the demo database is one)."""

    type = "duckdb"
    label = "DuckDB"
    icon = ":material/deployed_code:"
    dialect = "duckdb"
    version_query = "SELECT 'DuckDB ' || version()"
    system_schemas = frozenset({"information_schema", "pg_catalog"})
    file_help = "Path to a .duckdb file"
    missing_file_hint = "Check the path, or run `python -m olympus demo`."
    error_rules = (
        ErrorRule(r"file system operations are disabled|external access", PermissionDenied,
                  "Reading files or URLs from SQL is disabled for safety.",
                  suggestion="Query the tables in this database instead."),
        ErrorRule(r"configuration has been locked", UnsafeSQL,
                  "Changing database settings is not allowed."),
        ErrorRule(r"could not set lock|conflicting lock", ConnectionFailed,
                  "The database file is locked by another program writing to it.",
                  suggestion="Close the program that has it open for writing, then retry."),
        ErrorRule(r"cannot open file|no such file|does not exist.*database", ConnectionFailed,
                  "The database file could not be opened.",
                  suggestion="Check the file path and that the file exists."),
    )

    def __init__(self, params=None, **options) -> None:
        super().__init__(params, **options)
        self._native = None
        self._native_lock = threading.Lock()

    def url(self) -> str:
        return f"duckdb:///{self.params['path']}"

    @property
    def engine(self):
        """SQLAlchemy over our own locked-down connection (DuckDB refuses a second config)."""
        with self._lock:
            if self._engine is None:
                from duckdb_engine import ConnectionWrapper
                from sqlalchemy import create_engine
                from sqlalchemy.pool import NullPool

                self._engine = create_engine(
                    "duckdb://", poolclass=NullPool,
                    creator=lambda: ConnectionWrapper(self.native().cursor()))
            return self._engine

    def native(self):
        """One read-only DuckDB connection per connector; each query gets its own cursor."""
        with self._native_lock:
            if self._native is None:
                import duckdb

                path = self.existing_path()
                try:
                    self._native = duckdb.connect(path, read_only=True, config=dict(SAFE_CONFIG))
                except Exception as exc:
                    raise self.map_error(exc) from None
            return self._native

    def dispose(self) -> None:
        super().dispose()
        with self._native_lock:
            if self._native is not None:
                self._native.close()
                self._native = None

    def server_info(self) -> tuple[str | None, str | None]:
        cursor = self.native().cursor()
        try:
            version, db = cursor.execute(
                f"{self.version_query}, current_database()").fetchone()
        finally:
            cursor.close()
        return version, db

    def read_catalog(self, *, include: Iterable[str] | None = None,
                     exclude: Iterable[str] | None = None,
                     progress: Progress | None = None) -> list[dict]:
        report = progress or (lambda _m, _f: None)
        cursor = self.native().cursor()
        try:
            report("Reading tables", 0.1)
            tables = [((s, n), s, n, k, d, r) for s, n, k, d, r in cursor.execute(TABLES_SQL).fetchall()
                      if self.keep_schema(s, include, exclude)]
            report(f"Reading columns of {len(tables)} tables", 0.5)
            columns = [((s, t), c, ty, nl, d, df)
                       for s, t, c, ty, nl, d, df in cursor.execute(COLUMNS_SQL).fetchall()]
            keys = [((s, t), "p" if kind.startswith("PRIMARY") else "f", cols, s, ref, rcols)
                    for s, t, kind, cols, ref, rcols in cursor.execute(KEYS_SQL).fetchall()]
        except Exception as exc:
            raise self.map_error(exc) from None
        finally:
            cursor.close()
        report("Done", 1.0)
        return assemble(tables, columns, keys)

    def fetch(self, sql: str, *, limit: int | None, timeout_s: float) -> Fetched:
        """Read-only connection; a timer interrupts queries that run past the timeout."""
        import pyarrow as pa

        cursor = self.native().cursor()
        timer = threading.Timer(timeout_s, cursor.interrupt)
        timer.start()
        try:
            cursor.execute(sql)
            if limit is None:
                table = cursor.fetch_arrow_table()
                truncated = False
            else:
                reader = cursor.fetch_record_batch(min(limit + 1, 100_000))
                batches, count = [], 0
                for batch in reader:
                    batches.append(batch)
                    count += batch.num_rows
                    if count > limit:
                        break
                table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, limit)
                truncated = count > limit
        except Exception as exc:
            if "interrupt" in str(exc).lower():
                exc = TimeoutError(f"query timed out after {timeout_s}s (interrupted)")
            raise self.map_error(exc, sql) from None
        finally:
            timer.cancel()
            cursor.close()
        return Fetched(table, truncated, tuple(str(t) for t in table.schema.types))
