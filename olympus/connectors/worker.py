"""Embedded engines (DuckDB, SQLite) run user SQL in child processes, so a query that aborts or
exhausts the engine costs one restart instead of the whole app (every user's session).

The child (`python -m olympus.connectors.worker`) builds the same connector class in-process
and calls its ordinary `fetch`: read-only, settings, limits and the byte cap all apply there, so
a huge result never crosses the pipe. Frames and a result's Arrow encoding: worker_wire; the
child's serving loop: worker_child."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from olympus.connectors.worker_wire import Reader, decode, send, widen
from olympus.errors import OlympusError, QueryTimeout, UnknownError

CHILD_MODULE = "olympus.connectors.worker_child"  # what the child runs (its serving loop)
GRACE_S = 3.0  # past the timeout, an engine that ignored its interrupt is killed
START_TIMEOUT_S = 60.0
ENGINE_MEMORY_BYTES = 1024 ** 3  # DuckDB memory_limit / SQLite hard_heap_limit (their own)
SLACK_BYTES = 1536 * 1024 ** 2  # interpreter, pyarrow, engine code and buffers above that


class EngineCrashed(OlympusError):
    kind, title = "engine_crash", "Database engine crashed"
    suggestion = "Run it again, or change the query: this one stopped the engine."


class OutOfMemory(OlympusError):
    kind, title = "memory", "Out of memory"
    suggestion = "Select fewer or narrower columns, filter, or aggregate."


@dataclass(frozen=True)
class Spec:
    """What a child needs to build the connector: its class, parameters and limits."""

    cls: str  # "module:Class"
    params: dict
    options: dict  # statement_timeout_s, max_result_bytes
    memory_bytes: int | None  # the child's address-space ceiling (None: no ceiling)


def memory_ceiling(max_result_bytes: int | None) -> int:
    """Engine memory + room for the result twice (Arrow, IPC copy) + the interpreter."""
    return ENGINE_MEMORY_BYTES + 2 * (max_result_bytes or 128 * 1024 ** 2) + SLACK_BYTES


class Worker:
    """One child process; `call` sends a request and waits for its reply or the deadline."""

    def __init__(self, spec: Spec) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p), "MALLOC_ARENA_MAX": "2"}
        self.proc = subprocess.Popen([sys.executable, "-m", CHILD_MODULE],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     cwd=root, close_fds=True)
        widen(self.proc.stdout.fileno())
        self._reader = Reader(self.proc.stdout.fileno())
        send(self.proc.stdin, {"spec": spec})
        meta, _ = self._reply(time.monotonic() + START_TIMEOUT_S)
        if not meta.get("ok"):
            self.stop()
            raise _unpickle_error(meta)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fetch(self, sql: str, *, limit: int | None, timeout_s: float,
              params: list | None = None):
        """Run `connector.fetch` in the child; Fetched back, or its mapped error raised here."""
        from olympus.connectors.base import Fetched

        try:
            send(self.proc.stdin, {"sql": sql, "limit": limit, "timeout_s": timeout_s,
                                   "params": params})
        except OSError:  # the child is gone: read its exit below
            pass
        meta, body = self._reply(time.monotonic() + timeout_s + GRACE_S, timeout_s=timeout_s)
        if not meta.get("ok"):
            raise _unpickle_error(meta)
        return Fetched(decode(meta["layout"], body), meta["truncated"], tuple(meta["db_types"]),
                       meta["truncated_by"])

    def _reply(self, deadline: float, *, timeout_s: float | None = None) -> tuple[dict, Any]:
        try:
            return self._reader.frame(deadline)
        except TimeoutError:
            self.stop()
            raise QueryTimeout(f"The query ran past the {timeout_s or START_TIMEOUT_S:g} s "
                               "timeout and was stopped; the database engine was restarted."
                               ) from None
        except EOFError:
            code = self.stop()
            raise EngineCrashed("The query crashed the database engine; it was restarted.",
                                detail=f"engine process exited with status {code}") from None

    def interrupt(self) -> None:
        """Cancel from another thread: kill the child; the waiting fetch reads its exit and the
        pool starts a new one (an engine can't be reached mid-query through the pipe)."""
        if self.proc.poll() is None:
            self.proc.kill()

    def stop(self) -> int | None:
        """Kill the child (it holds nothing to save: the file is open read-only)."""
        if self.proc.poll() is None:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return self.proc.wait()


class Workers:
    """Up to `size` reusable children per connector; a dead one is replaced at once."""

    def __init__(self, spec: Spec, size: int) -> None:
        self.spec = spec
        self._idle: list[Worker] = []
        self._slots = threading.BoundedSemaphore(max(1, size))
        self._lock = threading.Lock()
        self.closed = False

    def lease(self) -> "_Lease":
        """A worker for one session (`with workers.lease() as remote:`); it goes back to the
        idle list when the session ends."""
        return _Lease(self)

    def _take(self) -> Worker:
        self._slots.acquire()
        try:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            return worker if worker is not None and worker.alive() else Worker(self.spec)
        except BaseException:
            self._slots.release()
            raise

    def ready(self) -> bool:
        """The worker lease() hands out next is alive (a query leases it without a start-up)."""
        with self._lock:
            return bool(self._idle) and self._idle[-1].alive()

    def _give_back(self, worker: Worker) -> None:
        """Back to the idle list; one stopped on a crash, timeout or cancel (its fetch read the
        exit) is replaced now. One that dies idle is found by the next ready() or lease()."""
        try:
            if worker.proc.returncode is not None:
                worker = _start_quietly(self.spec)
            with self._lock:
                if worker is not None and not self.closed:
                    self._idle.append(worker)
                    return
            if worker is not None:
                worker.stop()
        finally:
            self._slots.release()

    def stop(self) -> None:
        """Stop idle children; a leased one is stopped when its session ends."""
        with self._lock:
            self.closed, idle, self._idle = True, self._idle, []
        for worker in idle:
            worker.stop()


class _Lease:
    """Workers.lease(): a class, not a generator, as it runs on every query."""

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self.worker: Worker | None = None

    def __enter__(self) -> "RemoteConnection":
        self.worker = self.workers._take()
        return RemoteConnection(self.workers, self.worker)

    def __exit__(self, *exc: Any) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            self.workers._give_back(worker)


def _start_quietly(spec: Spec) -> Worker | None:
    try:
        return Worker(spec)
    except Exception:  # the next session starts one and reports why if it still fails
        return None


class RemoteConnection:
    """What `FileConnector.connection("query")` yields: the session's DBAPI stand-in."""

    def __init__(self, workers: Workers, worker: Worker) -> None:
        self.workers, self.worker = workers, worker

    def cursor(self) -> "RemoteCursor":
        if self.workers.closed:  # released by another session: the workspace retries once
            raise ConnectionError("Connection already closed (the connector was released)")
        return RemoteCursor(self.worker)

    def rollback(self) -> None:
        """The child's own session rolled back."""


class RemoteCursor:
    """A cursor whose only operation is a whole guarded fetch in the worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def fetch(self, sql: str, *, limit: int | None, timeout_s: float,
              params: list | None = None):
        return self.worker.fetch(sql, limit=limit, timeout_s=timeout_s, params=params)

    def close(self) -> None:
        pass


# ---- errors ---------------------------------------------------------------------------------
def _unpickle_error(meta: dict) -> Exception:
    try:
        return pickle.loads(meta["error"])
    except Exception:  # an error class that can't be rebuilt still says what happened
        return UnknownError(str(meta.get("text") or "The database engine failed."))
