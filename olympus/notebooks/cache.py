"""The result cache: query results as Arrow IPC bytes under a key of everything that decides
them (space, connection and its version, normalised SQL, bound parameters, limits). Embedded
(a byte-bounded LRU in this process) by default; Redis (olympus.notebooks.cache_redis) when
OLYMPUS_CACHE_URL names one, so replicas share it."""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from olympus.errors import ConfigError

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.runner import QueryResult

FORMAT = 1  # bump when the stored layout changes: old entries are then simply missed
OFF = ("off", "none", "disabled")  # OLYMPUS_CACHE_URL values that turn the cache off
_HEADER = struct.Struct(">I")  # length of the JSON facts that precede the Arrow stream


@dataclass(frozen=True)
class Entry:
    """One cached result as stored: the encoded bytes and when they were stored (epoch s)."""

    blob: bytes
    stored_at: float


@dataclass(frozen=True)
class Slot:
    """Where one query's result lives in the cache, and for how long it may be served."""

    key: str
    ttl_s: int
    sql: str = ""  # this query's guarded text (a hit reports it, not the first spelling's)


class ResultCache(Protocol):
    """What Workspace.run_sql needs of a backend; a backend never raises on get/put."""

    max_entry_bytes: int

    def get(self, key: str, *, max_age_s: float) -> Entry | None: ...

    def put(self, key: str, blob: bytes, *, ttl_s: int) -> bool: ...

    def clear(self) -> None: ...


# ---- keys ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def normalise(sql: str, dialect: str) -> str:
    """One spelling per statement (keyword case, whitespace, AS): sqlglot parse + generate in
    the connection's dialect; text sqlglot can't read stays as it is (still a valid key)."""
    import sqlglot

    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
        return ";".join(t.sql(dialect=dialect) for t in trees) if trees else sql.strip()
    except Exception:  # guard-approved text sqlglot can't generate: exact text is the key
        return sql.strip()


def cache_key(*, space: str, connection_id: str, version: str, sql: str, dialect: str,
              params: Any = None, limit: int | None = None,
              max_result_bytes: int | None = None) -> str:
    """A digest of everything that decides a result; the space first, so no hit can cross
    spaces even if two spaces held the same connection id."""
    facts = [FORMAT, space, connection_id, version, dialect, normalise(sql, dialect),
             _canonical(params), limit, max_result_bytes]
    text = json.dumps(facts, separators=(",", ":"), default=_typed)
    return hashlib.sha256(text.encode()).hexdigest()


def params_text(params: Any) -> str:
    """Bound parameters as one stable string (for memo keys)."""
    return json.dumps(_canonical(params), separators=(",", ":"), default=_typed)


def _canonical(params: Any) -> Any:
    """Bound parameters in a stable, type-keeping shape ({'a': 1} and {'a': '1'} differ)."""
    if params is None:
        return None
    if isinstance(params, dict) or hasattr(params, "items"):
        return {"map": sorted([str(k), _canonical_value(v)] for k, v in params.items())}
    if isinstance(params, (list, tuple)):
        return {"seq": [_canonical_value(v) for v in params]}
    return {"one": _canonical_value(params)}


def _canonical_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    return _typed(value)


def _typed(value: Any) -> str:
    """A value JSON can't hold as itself, with its type (a date is not its string)."""
    return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"


# ---- encoding --------------------------------------------------------------------------------
def encode(result: "QueryResult", *, lineage: str | None = None) -> bytes:
    """The result's facts (JSON) followed by its rows as an Arrow IPC stream; `lineage` names
    the catalog its `reads` were resolved against."""
    import pyarrow as pa

    facts = {"columns": list(result.columns), "types": list(result.types),
             "row_count": result.row_count, "truncated": result.truncated,
             "truncated_by": result.truncated_by, "sql": result.sql,
             "db_types": list(result.db_types), "elapsed_ms": result.elapsed_ms,
             "reads": list(getattr(result, "reads", ()) or ()), "lineage": lineage}
    head = json.dumps(facts).encode()
    sink = pa.BufferOutputStream()
    table = result.arrow if result.arrow is not None else pa.Table.from_pandas(
        result.df, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return _HEADER.pack(len(head)) + head + sink.getvalue().to_pybytes()


def decode(entry: Entry, *, elapsed_ms: float, sql: str | None = None,
           lineage: str | None = None) -> "QueryResult":
    """The QueryResult of a cached entry, marked with when it was cached; its `reads` only
    when resolved against the same catalog (`lineage`), else empty (to be worked out again)."""
    import pyarrow as pa

    from olympus.runner import QueryResult

    (size,) = _HEADER.unpack_from(entry.blob)
    facts = json.loads(entry.blob[_HEADER.size:_HEADER.size + size])
    body = memoryview(entry.blob)[_HEADER.size + size:]
    table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    return QueryResult(columns=tuple(facts["columns"]), types=tuple(facts["types"]),
                       arrow=table, row_count=facts["row_count"],
                       truncated=facts["truncated"], truncated_by=facts["truncated_by"],
                       elapsed_ms=elapsed_ms, sql=sql or facts["sql"],
                       db_types=tuple(facts["db_types"]),
                       reads=tuple(facts.get("reads") or ()) if facts.get("lineage") == lineage
                       else (),
                       cached_at=datetime.fromtimestamp(entry.stored_at, timezone.utc))


# ---- the embedded backend --------------------------------------------------------------------
class MemoryCache:
    """A thread-safe LRU bounded by the total bytes it holds; an entry larger than
    `max_entry_bytes` is not kept (it would push out many smaller ones)."""

    def __init__(self, max_bytes: int, *, max_entry_bytes: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.max_bytes = int(max_bytes)
        self.max_entry_bytes = int(max_entry_bytes or max(1, self.max_bytes // 8))
        self.clock = clock
        self._items: OrderedDict[str, tuple[Entry, float]] = OrderedDict()  # key -> entry, expiry
        self._bytes = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryCache({len(self._items)} entries, {self._bytes:,} of {self.max_bytes:,} B)"

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, *, max_age_s: float) -> Entry | None:
        now = self.clock()
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            entry, expires = found
            if now >= expires or now - entry.stored_at >= max_age_s:
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return entry

    def put(self, key: str, blob: bytes, *, ttl_s: int) -> bool:
        if ttl_s <= 0 or len(blob) > self.max_entry_bytes or len(blob) > self.max_bytes:
            return False
        now = self.clock()
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (Entry(blob, now), now + ttl_s)
            self._bytes += len(blob)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        entry, _ = self._items.pop(key)
        self._bytes -= len(entry.blob)


def result_cache(settings: "Settings") -> ResultCache | None:
    """The backend OLYMPUS_CACHE_URL names: unset = embedded, redis:// = shared, off = none."""
    url = (getattr(settings, "cache_url", None) or "").strip()
    max_bytes = int(getattr(settings, "cache_max_bytes", 256 * 1024 ** 2))
    if not url:
        return MemoryCache(max_bytes)
    if url.lower() in OFF:
        return None
    if url.split("://", 1)[0].lower() in ("redis", "rediss", "unix"):
        from olympus.notebooks.cache_redis import RedisCache

        return RedisCache(url, max_entry_bytes=max(1, max_bytes // 8))
    raise ConfigError("OLYMPUS_CACHE_URL must be a redis:// URL, or 'off'.",
                      title="Bad cache URL",
                      suggestion="Leave it unset for the embedded cache, e.g. "
                                 "redis://localhost:6379/0 to share it between replicas.")


def age_text(cached_at: datetime, now: datetime | None = None) -> str:
    """'just now', '1 min ago', '3 min ago', '2 h ago' for the 'from cache' caption."""
    seconds = ((now or datetime.now(timezone.utc)) - cached_at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"
