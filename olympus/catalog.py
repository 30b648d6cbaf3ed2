"""Schema snapshots: one bulk read per database, cached per owner + connection with a TTL."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from olympus.connectors.base import Connector, Progress

DEFAULT_TTL_S = 24 * 3600


def introspect(connector: Connector, *, include: Iterable[str] | None = None,
               exclude: Iterable[str] | None = None,
               progress: Progress | None = None) -> dict[str, Any]:
    """Read the catalog now; the result is JSON-serialisable (FEAT-001 snapshot structure)."""
    tables = connector.read_catalog(include=include, exclude=exclude, progress=progress)
    return {"tables": tables, "introspected_at": datetime.now(timezone.utc).isoformat()}


@dataclass(frozen=True)
class CacheKey:
    """Owner + connection id + parameter fingerprint: two owners or connections never collide."""

    owner: str
    connection_id: str
    fingerprint: str


class CatalogCache:
    """Thread-safe in-process TTL cache; a backing store (optional) survives restarts."""

    def __init__(self, *, ttl_s: float = DEFAULT_TTL_S, load: Callable | None = None,
                 save: Callable | None = None, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s, self._load, self._save, self._clock = ttl_s, load, save, clock
        self._entries: dict[CacheKey, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, key: CacheKey, connector: Connector, *, refresh: bool = False,
            progress: Progress | None = None, **filters) -> dict[str, Any]:
        """Cached snapshot if fresh, else introspect (and persist through `save`)."""
        if not refresh:
            hit = self.peek(key)
            if hit is not None:
                return hit
        snapshot = introspect(connector, progress=progress, **filters)
        self.put(key, snapshot)
        return snapshot

    def peek(self, key: CacheKey) -> dict[str, Any] | None:
        """Fresh entry from memory, then from the backing store; None when missing or stale."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None and self._load is not None:
            snapshot = self._load(key)
            if snapshot is not None:
                entry = (_timestamp(snapshot), snapshot)
                with self._lock:
                    self._entries[key] = entry
        if entry is None or self._clock() - entry[0] > self.ttl_s:
            return None
        return entry[1]

    def put(self, key: CacheKey, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = (_timestamp(snapshot), snapshot)
        if self._save is not None:
            self._save(key, snapshot)

    def invalidate(self, *, owner: str | None = None, connection_id: str | None = None) -> None:
        """Drop entries of one connection (or one owner); used on edit and delete."""
        with self._lock:
            for key in list(self._entries):
                if (owner is None or key.owner == owner) and (
                        connection_id is None or key.connection_id == connection_id):
                    del self._entries[key]


def _timestamp(snapshot: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(snapshot["introspected_at"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return 0.0


def find_table(snapshot: dict[str, Any], name: str) -> dict[str, Any] | None:
    """Look up "schema.table" or a bare table name (first match) in a snapshot."""
    schema, _, table = name.rpartition(".")
    for entry in snapshot.get("tables", []):
        if entry["name"] == table and (not schema or entry["schema"] == schema):
            return entry
    return None
