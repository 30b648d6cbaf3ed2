"""Chaining across connections, only when asked for (compile_cell(..., local=True)).

The decision: a statement can't span two databases, so a cell that reads a cell on another
connection is refused by default, with a message saying how to opt in. Opted in, each cell it
reads runs on its own connection through Workspace.run_sql (guard, read-only session, row limit,
query log, as always); the fetched Arrow results become tables of an in-memory DuckDB with
external access off (no files, no network, configuration locked); this cell's SQL, transpiled to
DuckDB's dialect by sqlglot, is guarded in that dialect and runs there with its parameters
bound. An upstream result cut at the row limit is refused rather than joined half-read."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from olympus.errors import ConfigError, QueryTimeout

if TYPE_CHECKING:
    import pyarrow as pa

    from olympus.notebooks.compile import Compiled
    from olympus.runner import QueryHandle, QueryResult
    from olympus.workspace import Workspace

LOCAL_CONFIG = {"enable_external_access": False, "memory_limit": "1GB", "threads": 2,
                "lock_configuration": True}


def run_local(ws: "Workspace", compiled: "Compiled", *, limit: int | None = None,
              handle: "QueryHandle | None" = None, source: str = "notebook") -> "QueryResult":
    """Fetch each upstream cell on its own connection, then run this cell on local DuckDB."""
    from olympus.notebooks.compile import run_compiled

    ws.principal.require("query")
    tables: dict[str, "pa.Table"] = {}
    for name, part in compiled.parts:
        result = run_compiled(ws, part, handle=handle, source=source)
        if result.truncated:
            raise ConfigError(
                f"Cell {name!r} returned more rows than the row limit ({result.row_count:,}), "
                "so it can't be joined locally without losing rows.", title="Upstream cut short",
                suggestion="Aggregate or filter that cell, or keep both cells on one connection.")
        tables[name] = result.arrow if result.arrow is not None else _arrow(result.df)
    return run_duckdb(compiled.sql, tables, dict(compiled.params),
                      limit=limit or ws.settings.row_limit,
                      timeout_s=ws.settings.statement_timeout_s, handle=handle)


def run_duckdb(sql: str, tables: dict[str, "pa.Table"], params: dict[str, Any], *,
               limit: int | None, timeout_s: float,
               handle: "QueryHandle | None" = None) -> "QueryResult":
    """Guard `sql` (DuckDB dialect, markers bound as `?`), then run it over `tables` in a fresh
    in-memory DuckDB; the result is a QueryResult like any other."""
    import duckdb

    from olympus.connectors.duckdb import DuckDB
    from olympus.guard import check_sql
    from olympus.runner import QueryResult

    bound_sql, values = DuckDB.bind_sql(sql, params)
    clean = check_sql(bound_sql, "duckdb", policy=DuckDB.sql_policy)
    con = duckdb.connect(":memory:", config=dict(LOCAL_CONFIG))
    try:
        for name, table in tables.items():
            con.register(name, table)
        start = time.perf_counter()
        table, truncated = _execute(con, clean, values, limit, timeout_s, handle)
    finally:
        con.close()
    return QueryResult(columns=tuple(table.column_names),
                       types=tuple(str(t) for t in table.schema.types), arrow=table,
                       row_count=table.num_rows, truncated=truncated is not None,
                       elapsed_ms=(time.perf_counter() - start) * 1000, sql=clean,
                       db_types=tuple(str(t) for t in table.schema.types),
                       truncated_by=truncated)


def _execute(con, sql: str, values: list, limit: int | None, timeout_s: float,
             handle: "QueryHandle | None") -> tuple["pa.Table", str | None]:
    """Run with a timeout (DuckDB's interrupt) and the row limit; a cancel interrupts too."""
    import pyarrow as pa

    from olympus.connectors.arrow import collect
    from olympus.connectors.base import DEFAULT_MAX_RESULT_BYTES
    from olympus.errors import map_error

    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    timer.start()
    try:
        if handle is not None:
            with handle.running(con.interrupt):
                reader = con.execute(sql, values or None).fetch_record_batch(2048)
                batches, cut = collect(reader, limit=limit, max_bytes=DEFAULT_MAX_RESULT_BYTES)
        else:
            reader = con.execute(sql, values or None).fetch_record_batch(2048)
            batches, cut = collect(reader, limit=limit, max_bytes=DEFAULT_MAX_RESULT_BYTES)
    except Exception as exc:
        if handle is not None and handle.cancelled:
            handle.check(sql)
        if fired.is_set():
            raise QueryTimeout(f"The local query ran past the {timeout_s:g} s timeout.",
                               sql=sql) from None
        raise map_error(exc, sql=sql) from None
    finally:
        timer.cancel()
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return (table if limit is None else table.slice(0, limit)), cut  # cut: "rows" | "bytes"


def _arrow(df) -> "pa.Table":
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False)
