"""A few raw connections to a SQLite store kept out of its pool for the statements every query
runs (its connection record, its rate-limit count; store_fast): the one used last is used again,
so its page cache is still valid (SQLite drops a connection's whole cache once another
connection wrote, and the pool handed its connections out in turn), and the pool's checkout,
reset and checkin are skipped. Each statement is its own transaction (autocommit), finished
before its connection comes back, so a kept connection holds no snapshot and sees every commit."""

from __future__ import annotations

import threading
import weakref
from typing import Any

import sqlalchemy as sa

KEEP = 2  # connections kept per store (more concurrent statements use the pool as before)


class Lane:
    """take() a connection, give() it back; a store's dispose() (or the end of its engine or
    of the process) closes those kept."""

    def __init__(self) -> None:
        self._kept: list = []  # pooled connections (PoolProxiedConnection), last used on top
        self._lock = threading.Lock()
        self._generation = 0  # a dispose() ends a generation: its connections are not kept

    def take(self, engine: sa.Engine) -> tuple[Any, int]:
        with self._lock:
            if self._kept:
                return self._kept.pop(), self._generation
            generation = self._generation
        return engine.raw_connection(), generation

    def give(self, conn: Any, generation: int, *, clean: bool) -> None:
        """Kept if its statement finished cleanly and nothing disposed the store since;
        otherwise back to the pool (which rolls it back) or closed."""
        if clean and not conn.dbapi_connection.in_transaction:
            with self._lock:
                if generation == self._generation and len(self._kept) < KEEP:
                    self._kept.append(conn)
                    return
        conn.close()

    def disposed(self, _engine: Any = None) -> None:
        """The store's engine was disposed: close the kept connections now (file handles)."""
        with self._lock:
            self._generation += 1
            kept, self._kept = self._kept, []
        for conn in kept:
            conn.invalidate()


_LANES: "weakref.WeakKeyDictionary[sa.Engine, Lane]" = weakref.WeakKeyDictionary()
_LANES_LOCK = threading.Lock()


def lane(engine: sa.Engine) -> Lane | None:
    """The engine's lane (SQLite), or None: a server database keeps its pool (and pre-ping)."""
    if engine.dialect.name != "sqlite":
        return None
    found = _LANES.get(engine)
    if found is None:
        with _LANES_LOCK:
            found = _LANES.get(engine)
            if found is None:
                found = _LANES[engine] = Lane()
                sa.event.listen(engine, "engine_disposed", found.disposed)
                # closed with the engine, or at exit: SQLite checkpoints the WAL into the file
                # and removes it when the last connection closes, as the pool's do
                weakref.finalize(engine, found.disposed)
    return found
