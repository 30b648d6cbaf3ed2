"""Bookkeeping written behind the query: the query log, its audit row and the connection's last
use are committed by one background thread per store, in batches, so a query waits for none of
them. Nothing is dropped: a full queue makes the caller wait, a failed batch is retried row by
row, readers of those tables call `flush()` first, and the process flushes at exit."""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    import sqlalchemy as sa

log = logging.getLogger(__name__)
# kind -> writes a list of rows of that kind inside the journal's transaction (executemany)
Writer = Callable[["sa.Connection", list], None]
MAX_PENDING = 10_000  # queued entries (a query's rows are one) before a writer waits (backpressure)
BATCH = 500
LINGER_S = 0.05  # the writer gathers a batch this long (a flush wakes it at once)
RETRIES = 5
CHUNK = 48  # rows per write transaction (16 queries' log, audit and last use)
LET_IN_S = 0.002  # between chunks, how long the journal steps aside for waiting writers
_LIVE: "weakref.WeakSet[Journal]" = weakref.WeakSet()


class Journal:
    """A store's write-behind queue of (kind, row); rows of one kind are written together (one
    executemany per kind and batch). `submit` returns at once, `flush` waits for what's queued."""

    def __init__(self, engine: "sa.Engine", writers: Mapping[str, Writer], *,
                 max_pending: int = MAX_PENDING) -> None:
        self.engine, self.writers = engine, dict(writers)
        self._queue: queue.Queue[list[tuple[str, Any]]] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        _LIVE.add(self)

    def submit(self, kind: str, row: Any) -> None:
        self.submit_all([(kind, row)])

    def submit_all(self, items: list[tuple[str, Any]]) -> None:
        """Several rows (a query's log, audit and last use) as one queue entry."""
        for kind, _ in items:
            if kind not in self.writers:
                raise KeyError(kind)
        self._start()
        self._queue.put(items)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every write submitted so far is committed (or given up on); False on
        timeout."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="olympus-journal",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            entries = [self._queue.get()]
            self._wake.wait(LINGER_S)  # one transaction for a burst, not one per query
            self._wake.clear()
            while len(entries) < BATCH:
                try:
                    entries.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit([item for entry in entries for item in entry])
            finally:
                for _ in entries:
                    self._queue.task_done()

    def _commit(self, batch: list[tuple[str, Any]]) -> None:
        """A few queries' rows per transaction, a query's rate-limit count let in between (it
        waits for one chunk at most, not the whole batch)."""
        from olympus.store_fast import write_lock

        turns = write_lock(self.engine)
        for start in range(0, len(batch), CHUNK):
            if start:
                turns.let_in(LET_IN_S)
            self._commit_chunk(batch[start:start + CHUNK], turns)

    def _commit_chunk(self, batch: list[tuple[str, Any]], turns) -> None:
        """One transaction for the chunk; if it fails, each row on its own (one bad row never
        takes the others with it), retried while the store is unreachable."""
        from olympus.store_db import write

        grouped: dict[str, list] = {}
        for kind, row in batch:
            grouped.setdefault(kind, []).append(row)
        try:
            with turns, write(self.engine) as conn:
                for kind, rows in grouped.items():
                    self.writers[kind](conn, rows)
            return
        except Exception:
            log.warning("A bookkeeping batch of %d failed; writing them one by one", len(batch))
        for item in batch:
            self._commit_one(item)

    def _commit_one(self, item: tuple[str, Any]) -> None:
        """Retried while the store is unreachable or locked; a row it rejects is reported."""
        from sqlalchemy.exc import InterfaceError, OperationalError

        from olympus.store_db import write
        from olympus.store_fast import write_lock

        for attempt in range(RETRIES):
            try:
                with write_lock(self.engine), write(self.engine) as conn:
                    self.writers[item[0]](conn, [item[1]])
                return
            except (OperationalError, InterfaceError) as exc:
                if attempt == RETRIES - 1:
                    log.error("Could not write a query-log/audit row after %d tries: %s",
                              RETRIES, type(exc).__name__)
                time.sleep(0.05 * 2 ** attempt)
            except Exception as exc:
                log.error("The store rejected a query-log/audit row: %s", type(exc).__name__)
                return


def flush_all(timeout_s: float = 30.0) -> None:
    """Every journal in this process (at exit, and for tests that read the tables directly)."""
    for journal in list(_LIVE):
        journal.flush(timeout_s)


atexit.register(flush_all, 10.0)
