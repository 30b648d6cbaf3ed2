"""Guarded execution: guard -> rate limit -> read-only session -> QueryResult (one path for all SQL)."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Hashable

from olympus.connectors.base import Connector
from olympus.errors import RateLimited
from olympus.guard import check_sql

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_ROW_LIMIT = 10_000
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class QueryResult:
    """What every caller gets back: Arrow-backed DataFrame plus the facts around it."""

    columns: tuple[str, ...]
    types: tuple[str, ...]  # Arrow type names, e.g. int64, string, timestamp[us, tz=UTC]
    df: "pd.DataFrame" = field(repr=False)
    row_count: int
    truncated: bool
    elapsed_ms: float
    sql: str
    db_types: tuple[str, ...] = ()  # the database's own type names where the driver gives them
    truncated_by: str | None = None  # "rows" (row limit) or "bytes" (result byte cap)

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


def run_query(connector: Connector, sql: str, *, limit: int | None = DEFAULT_ROW_LIMIT,
              timeout_s: float | None = None, limiter: RateLimiter | None = DEFAULT_LIMITER,
              key: Hashable | None = None) -> QueryResult:
    """Check, then run in the connector's read-only session; limit=None lifts the row limit."""
    clean = check_sql(sql, connector.dialect, policy=connector.policy())
    if limiter is not None:
        limiter.acquire(key if key is not None else id(connector))
    timeout = timeout_s if timeout_s is not None else connector.statement_timeout_s
    connector.prepare()  # driver and pandas imports are not the query's time
    start = time.perf_counter()
    fetched = connector.fetch(clean, limit=limit, timeout_s=timeout)
    df = to_pandas(fetched.table)
    elapsed = (time.perf_counter() - start) * 1000
    return QueryResult(columns=tuple(fetched.table.column_names),
                       types=tuple(str(t) for t in fetched.table.schema.types), df=df,
                       row_count=fetched.table.num_rows, truncated=fetched.truncated,
                       elapsed_ms=elapsed, sql=clean, db_types=fetched.db_types,
                       truncated_by=fetched.truncated_by or ("rows" if fetched.truncated else None))


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
