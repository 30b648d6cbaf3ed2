"""Guarded execution: guard -> rate limit -> read-only session -> QueryResult (one path for all SQL)."""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterator, Mapping

from olympus.connectors.base import Connector
from olympus.errors import QueryCancelled, RateLimited
from olympus.guard import check_sql

if TYPE_CHECKING:
    from datetime import datetime

    import pandas as pd
    import pyarrow as pa

DEFAULT_ROW_LIMIT = 10_000
DEFAULT_TIMEOUT_S = 30.0


class _Frame:
    """QueryResult.df: the Arrow-backed DataFrame, built from the Arrow table on first use (a
    CLI printing rows never imports pandas, ~0.5 s); a data descriptor, so frozen still holds."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return None  # the field's default
        df = obj.__dict__.get("_df")
        if df is None and obj.__dict__.get("arrow") is not None:
            df = obj.__dict__["_df"] = to_pandas(obj.__dict__["arrow"])
        return df

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_df"] = None if isinstance(value, _Frame) else value  # default: lazy


@dataclass(frozen=True)
class QueryResult:
    """What every caller gets back: Arrow-backed DataFrame plus the facts around it."""

    columns: tuple[str, ...]
    types: tuple[str, ...]  # Arrow type names, e.g. int64, string, timestamp[us, tz=UTC]
    df: "pd.DataFrame" = field(default=_Frame(), repr=False, compare=False)
    row_count: int = 0
    truncated: bool = False
    elapsed_ms: float = 0.0
    sql: str = ""
    db_types: tuple[str, ...] = ()  # the database's own type names where the driver gives them
    truncated_by: str | None = None  # "rows" (row limit) or "bytes" (result byte cap)
    arrow: "pa.Table | None" = field(default=None, repr=False, compare=False)  # df's source
    reads: tuple[str, ...] = ()  # lineage: "schema.table.column" it read (Workspace.run_sql sets it)
    cached_at: "datetime | None" = None  # served by the result cache: when it was stored
    scanned_bytes: int | None = None  # bytes billed/scanned, where the engine reports it

    @property
    def nbytes(self) -> int | None:
        """The result's size in memory (its Arrow buffers)."""
        if self.arrow is not None:
            return int(self.arrow.nbytes)
        try:
            return int(self.df.memory_usage(index=False, deep=True).sum())
        except Exception:  # not a DataFrame: no size
            return None

    @property
    def truncation_note(self) -> str | None:
        """Why the result is cut, in words a person reads under the table."""
        if self.truncated_by == "bytes":
            return (f"Only the first {self.row_count:,} rows are shown: the result reached the "
                    "size cap. Select fewer or narrower columns, or aggregate.")
        if self.truncated:
            return (f"Only the first {self.row_count:,} rows are shown (the row limit). Filter "
                    "or aggregate to see everything.")
        return None

    def rows(self) -> list[list[Any]]:
        """JSON-friendly rows: a DATE stays a date ("2020-01-01"), timestamps are ISO strings,
        decimals floats, NaN null."""
        import pyarrow as pa

        if self.arrow is not None:
            columns = [[_jsonable(v) for v in column.to_pylist()] for column in self.arrow.columns]
        else:
            columns = [[_jsonable(v) for v in pa.array(self.df[name]).to_pylist()]
                       for name in self.df.columns]
        return [list(row) for row in zip(*columns)]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": self.rows(), "row_count": self.row_count,
                "truncated": self.truncated, "elapsed_ms": round(self.elapsed_ms, 1),
                "sql": self.sql}


class RateLimiter:
    """Sliding-window limit per key (a connection); in-process, so per app replica."""

    def __init__(self, max_calls: int = 100, per_s: float = 60.0) -> None:
        self.max_calls, self.per_s = max_calls, per_s
        self._calls: dict[Hashable, deque] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Hashable) -> None:
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] > self.per_s:
                calls.popleft()
            if len(calls) >= self.max_calls:
                wait = int(self.per_s - (now - calls[0])) + 1
                raise RateLimited(
                    f"This connection ran {self.max_calls} queries in the last "
                    f"{int(self.per_s)} s, the limit.", suggestion=f"Try again in {wait} s.")
            calls.append(now)


DEFAULT_LIMITER = RateLimiter()


class QueryHandle:
    """Lets another thread (a Cancel button) stop a running query on the server: the connector
    registers how to stop its statement while it runs; cancel() calls that and marks the query,
    which then raises QueryCancelled. Thread-safe; one handle per query."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._stop: Callable[[], None] | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Mark the query cancelled and stop its statement on the server (if one is running).
        Called under the lock, so a statement that just ended can't be hit on its next use."""
        with self._lock:
            self._cancelled = True
            stop, self._stop = self._stop, None
            if stop is not None:
                try:
                    stop()
                except Exception:  # best effort: the flag still discards the result
                    pass

    @contextmanager
    def running(self, stop: Callable[[], None] | None) -> Iterator[None]:
        """Connector side: while the block runs, cancel() calls `stop` (None: no server-side
        cancel, the result is only discarded). Cancelled already: refuse to start."""
        with self._lock:
            if self._cancelled:
                raise cancelled_error()
            self._stop = stop
        try:
            yield
        finally:
            with self._lock:
                self._stop = None

    def check(self, sql: str | None = None) -> None:
        if self._cancelled:
            raise cancelled_error(sql)


def cancelled_error(sql: str | None = None) -> QueryCancelled:
    return QueryCancelled("Cancelled: the query was stopped on the server.", sql=sql)


def run_query(connector: Connector, sql: str, *, limit: int | None = DEFAULT_ROW_LIMIT,
              timeout_s: float | None = None, limiter: RateLimiter | None = DEFAULT_LIMITER,
              key: Hashable | None = None, handle: QueryHandle | None = None,
              params: Mapping[str, Any] | None = None) -> QueryResult:
    """Check, then run in the connector's read-only session; limit=None lifts the row limit;
    `handle` lets another thread cancel it on the server (QueryCancelled)."""
    bound = None
    if params is not None:  # `{{name}}` -> the driver's placeholder; the guard sees that text
        sql, bound = connector.bind_sql(sql, params)
        bound = bound or None  # no marker used: the ordinary path
    clean = check_sql(sql, connector.dialect, policy=connector.policy())
    if handle is not None:
        handle.check(clean)
    if limiter is not None:
        limiter.acquire(key if key is not None else id(connector))
    timeout = timeout_s if timeout_s is not None else connector.statement_timeout_s
    connector.prepare(limit=limit)  # driver and pandas imports are not the query's time
    start = time.perf_counter()
    fetched = connector.fetch(clean, limit=limit, timeout_s=timeout, handle=handle,
                              **({} if bound is None else {"params": bound}))
    elapsed = (time.perf_counter() - start) * 1000
    table = fetched.table
    schema = table.schema
    return QueryResult(columns=tuple(schema.names), types=tuple(map(str, schema.types)),
                       arrow=table, row_count=table.num_rows, truncated=fetched.truncated,
                       elapsed_ms=elapsed, sql=clean, db_types=fetched.db_types,
                       truncated_by=fetched.truncated_by or ("rows" if fetched.truncated else None),
                       scanned_bytes=fetched.scanned_bytes)


def _jsonable(value: Any) -> Any:
    """One cell as JSON would hold it."""
    import datetime as dt
    import math
    from decimal import Decimal

    if isinstance(value, (dt.date, dt.time)):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, dict)):
        return _nested(value)
    return value


def _nested(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return [_jsonable(v) for v in value]


def to_pandas(table) -> "pd.DataFrame":
    """Arrow-backed DataFrame: no copy into NumPy objects, types preserved."""
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)
