"""DuckDB files, opened read-only in-process; results straight to Arrow."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from olympus.connectors import plans
from olympus.connectors.arrow import collect
from olympus.connectors.base import Fetched, Keep, Progress, Undo
from olympus.connectors.files import FileConnector
from olympus.connectors.worker import RemoteCursor
from olympus.connectors.traits import (FILES, RUNS_TEXT, SETTINGS, AgentRules, Capabilities,
                                       SQLPolicy)
from olympus.connectors.watchdog import WATCHDOG
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


DENIED_FUNCTIONS = {
    "read_*": FILES, "parquet_*": FILES, "glob": FILES, "sniff_csv": FILES, "st_read*": FILES,
    "iceberg_*": FILES, "delta_scan": FILES, "sqlite_*": FILES, "postgres_*": FILES,
    "mysql_*": FILES, "getenv": SETTINGS, "duckdb_secrets": SETTINGS, "which_secret": SETTINGS,
    "query": RUNS_TEXT, "query_table": RUNS_TEXT,
}

# Only these may be read from (FROM f(...)): generators and the catalog, nothing that touches
# files, settings, logging or other databases.
TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "json_each", "json_tree", "duckdb_tables",
    "duckdb_views", "duckdb_columns", "duckdb_constraints", "duckdb_schemas", "duckdb_types",
    "duckdb_functions", "duckdb_indexes", "pragma_table_info", "summary",
})
# Flagged as having side effects, yet they only draw random values.
SIDE_EFFECTS_ALLOWED = frozenset({"random", "uuid", "gen_random_uuid"})
FUNCTIONS_SQL = """
SELECT lower(function_name),
       CASE WHEN bool_or(coalesce(has_side_effects, false)) THEN 'side_effects' END
FROM duckdb_functions() GROUP BY 1"""

# No file/network access from SQL (read_csv('/etc/passwd')), and SQL can't switch it back on; a
# memory ceiling so one query can't take the app's memory (DuckDB's default is 80% of the RAM).
SAFE_CONFIG = {"enable_external_access": False, "memory_limit": "1GB",
               "lock_configuration": True}
BATCH_ROWS = 2048  # one DuckDB vector: small batches keep the byte cap close


class DuckDB(FileConnector):
    """An embedded DuckDB file (the demo database is one)."""

    type = "duckdb"
    label = "DuckDB"
    icon = ":material/deployed_code:"
    dialect = "duckdb"
    explain_sql = "EXPLAIN (FORMAT JSON) {sql}"
    plan_reader = plans.duckdb_json
    driver_modules = ("duckdb",)
    capabilities = Capabilities(passwords=False)
    # `FROM 'data.csv'` reads a file: quoted table names that look like paths are refused
    sql_policy = SQLPolicy(DENIED_FUNCTIONS, file_path_tables=True,
                           allowed_functions=SIDE_EFFECTS_ALLOWED, table_functions=TABLE_FUNCTIONS,
                           read_statements=frozenset({"Values", "Describe", "Show", "Summarize",
                                                      "Pivot"}),
                           wrappers=frozenset({"EXPLAIN"}))
    functions_sql = FUNCTIONS_SQL
    agent_rules = AgentRules(
        "DuckDB", "identifiers in double quotes; strings in single quotes",
        "date_trunc('month', ts), year(ts), extract(year from ts), current_date, "
        "ts >= DATE '2024-01-01', INTERVAL 30 DAY, strftime(ts, '%Y-%m')", "LIMIT n",
        "ILIKE works; GROUP BY ALL is allowed.")
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
        self._kept: _KeptCursor | None = None

    def url(self) -> str:
        return f"duckdb:///{self.params['path']}"

    def engine_options(self) -> dict:
        from sqlalchemy.pool import NullPool

        return {"poolclass": NullPool,
                "connect_args": {"read_only": True, "config": dict(SAFE_CONFIG)}}

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

    def between_queries(self) -> None:
        """After a worker's reply: close the last query's cursor (a result it still holds, e.g.
        a sort cut at the row limit, is freed now, not at the next query) and open the next."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.discard()
        self._kept = _KeptCursor(self.native().cursor())

    def dispose(self) -> None:
        super().dispose()
        with self._native_lock:
            if self._kept is not None:
                self._kept, kept = None, self._kept
                kept.discard()
            if self._native is not None:
                self._native.close()
                self._native = None

    # ---- session ----------------------------------------------------------------------------
    @contextmanager
    def local_connection(self, purpose: str) -> Iterator[Any]:
        """The shared read-only connection; the session takes its own cursor from it. In a
        worker (`solo`: one query at a time) the query uses a cursor opened before it came
        (between_queries), not one opened and closed on its time."""
        if not (self.solo and purpose == "query"):
            yield self.native()
            return
        if self._kept is None:
            self._kept = _KeptCursor(self.native().cursor())
        try:
            yield self._kept
        except BaseException:
            self._discard_kept()
            raise

    def _discard_kept(self) -> None:
        """A query that failed on the kept cursor: the next one opens a fresh cursor."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.discard()

    # ---- privileges: the file is opened read-only, so these credentials can't write ---------
    privileges_in_session = False

    def privileges(self, cursor) -> tuple[str, ...]:
        return ()

    def begin_readonly(self, cursor, timeout_s: float) -> Undo:
        """The file is open read-only; a timer interrupts a query that runs past the timeout."""
        if isinstance(cursor, RemoteCursor):  # the worker's own session does this
            return None
        return WATCHDOG.arm(timeout_s, cursor.interrupt)

    def interrupt(self, cursor):
        return cursor.interrupt

    def end_readonly(self, conn) -> None:
        """Nothing to roll back on a read-only file, and the connection is shared."""

    def map_error(self, exc: BaseException, sql: str | None = None):
        if "interrupt" in str(exc).lower():  # our timer fired
            exc = TimeoutError("query timed out (interrupted)")
        return super().map_error(exc, sql)

    def server_info(self) -> tuple[str | None, str | None]:
        with self.session(self.statement_timeout_s) as cursor:
            return cursor.execute(f"{self.version_query}, current_database()").fetchone()

    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        report("Reading tables", 0.1)
        tables = [((s, n), s, n, k, d, r) for s, n, k, d, r in cursor.execute(TABLES_SQL).fetchall()]
        report(f"Reading columns of {len(tables)} tables", 0.5)
        columns = [((s, t), c, ty, nl, d, df)
                   for s, t, c, ty, nl, d, df in cursor.execute(COLUMNS_SQL).fetchall()]
        keys = [((s, t), "p" if kind.startswith("PRIMARY") else "f", cols, s, ref, rcols)
                for s, t, kind, cols, ref, rcols in cursor.execute(KEYS_SQL).fetchall()]
        return tables, columns, keys

    def read(self, cursor, limit: int | None) -> Fetched:
        """Arrow batches straight from DuckDB, stopping at limit + 1 rows or the byte cap."""
        import pyarrow as pa

        reader = cursor.to_arrow_reader(BATCH_ROWS)  # fetch_record_batch warns on every call
        batches, cut = collect(reader, limit=limit, max_bytes=self.max_result_bytes)
        table = pa.Table.from_batches(batches, schema=reader.schema)
        if limit is not None and table.num_rows > limit:
            table = table.slice(0, limit)
        return Fetched(table, cut is not None, tuple(map(str, table.schema.types)), cut)


class _KeptCursor:
    """A worker's one query cursor, handed out as its own connection: the session's cursor()
    and close() reuse it instead of opening and closing a DuckDB connection per query."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def cursor(self) -> "_KeptCursor":
        return self

    def close(self) -> None:
        """Kept for the next query (discard() really closes it)."""

    def discard(self) -> None:
        try:
            self._cursor.close()
        except Exception:  # already closed with its connection
            pass

    def execute(self, sql: str, *args: Any) -> Any:
        return self._cursor.execute(sql, *args)

    def to_arrow_reader(self, batch_size: int) -> Any:
        return self._cursor.to_arrow_reader(batch_size)

    def __getattr__(self, name: str) -> Any:  # the rest of the DuckDB cursor (interrupt, ..)
        return getattr(self._cursor, name)
