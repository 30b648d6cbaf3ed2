"""Embedded engines (DuckDB, SQLite) run user SQL in child processes, so a query that aborts or
exhausts the engine costs one restart instead of the whole app (every user's session).

The child (`python -m olympus.connectors.worker`) builds the same connector class in-process
and calls its ordinary `fetch`: read-only, settings, limits and the byte cap all apply there, so
a huge result never crosses the pipe. Frames: 8-byte header (meta length, body length), a pickled
meta dict, then the body (an Arrow IPC stream for a result)."""

from __future__ import annotations

import functools
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from olympus.errors import OlympusError, QueryTimeout, UnknownError

HEADER = struct.Struct("!IQ")
GRACE_S = 3.0  # past the timeout, an engine that ignored its interrupt is killed
START_TIMEOUT_S = 60.0
ENGINE_MEMORY_BYTES = 1024 ** 3  # DuckDB memory_limit / SQLite hard_heap_limit (their own)
PIPE_BYTES = 1024 ** 2
READ_AHEAD = 64 * 1024
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
        self._ahead = bytearray()  # bytes read past the last frame (the next one's start)
        self.proc = subprocess.Popen([sys.executable, "-m", "olympus.connectors.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     cwd=root, close_fds=True)
        _widen(self.proc.stdout.fileno())
        _send(self.proc.stdin, {"spec": spec})
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
            _send(self.proc.stdin, {"sql": sql, "limit": limit, "timeout_s": timeout_s,
                                    "params": params})
        except OSError:  # the child is gone: read its exit below
            pass
        meta, body = self._reply(time.monotonic() + timeout_s + GRACE_S, timeout_s=timeout_s)
        if not meta.get("ok"):
            raise _unpickle_error(meta)
        return Fetched(_read_ipc(body), meta["truncated"], tuple(meta["db_types"]),
                       meta["truncated_by"])

    def _reply(self, deadline: float, *, timeout_s: float | None = None) -> tuple[dict, Any]:
        fd = self.proc.stdout.fileno()
        try:
            meta_len, body_len = HEADER.unpack(self._take(fd, HEADER.size, deadline))
            meta = pickle.loads(self._take(fd, meta_len, deadline))
            return meta, self._take(fd, body_len, deadline) if body_len else None
        except TimeoutError:
            self.stop()
            raise QueryTimeout(f"The query ran past the {timeout_s or START_TIMEOUT_S:g} s "
                               "timeout and was stopped; the database engine was restarted."
                               ) from None
        except EOFError:
            code = self.stop()
            raise EngineCrashed("The query crashed the database engine; it was restarted.",
                                detail=f"engine process exited with status {code}") from None

    def _take(self, fd: int, size: int, deadline: float) -> memoryview:
        """`size` bytes of the reply: from what was read ahead, then straight from the pipe,
        reading ahead too (a small reply's three parts arrive in one read, not three)."""
        ahead = self._ahead
        if len(ahead) >= size:
            out = memoryview(bytes(ahead[:size]))
            del ahead[:size]
            return out
        buf, spare = bytearray(size), bytearray(READ_AHEAD)
        buf[:len(ahead)] = ahead
        view, got = memoryview(buf), len(ahead)
        ahead.clear()
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            n = os.readv(fd, [view[got:], spare])
            if n == 0:
                raise EOFError
            extra = max(0, got + n - size)
            got += n - extra
            ahead += spare[:extra]
        return view

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

    @contextmanager
    def lease(self) -> Iterator["RemoteConnection"]:
        """A worker for one session; it goes back to the idle list if it is still alive."""
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            worker = worker if worker is not None and worker.alive() else Worker(self.spec)
            try:
                yield RemoteConnection(self, worker)
            finally:
                self._give_back(worker)

    def ready(self) -> bool:
        """A started worker waits idle (a query leases it without a start-up)."""
        with self._lock:
            return any(worker.alive() for worker in self._idle)

    def _give_back(self, worker: Worker) -> None:
        if not worker.alive():  # crashed or killed at the deadline: restart now
            worker = _start_quietly(self.spec)
        with self._lock:
            if worker is not None and not self.closed:
                self._idle.append(worker)
                return
        if worker is not None:
            worker.stop()

    def stop(self) -> None:
        """Stop idle children; a leased one is stopped when its session ends."""
        with self._lock:
            self.closed, idle, self._idle = True, self._idle, []
        for worker in idle:
            worker.stop()


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


# ---- framing --------------------------------------------------------------------------------
def _send(stream, meta: dict, body: Any = b"") -> None:
    blob = pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(body)
    stream.write(HEADER.pack(len(blob), view.nbytes))
    stream.write(blob)
    if view.nbytes:
        stream.write(view)
    stream.flush()


def _widen(fd: int) -> None:
    """A 1 MB pipe instead of 64 KB: a result crosses in a few reads, not hundreds (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):  # elsewhere, or above the system's maximum: default size
        pass


def _read_ipc(body):
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(body)).read_all()


def _unpickle_error(meta: dict) -> Exception:
    try:
        return pickle.loads(meta["error"])
    except Exception:  # an error class that can't be rebuilt still says what happened
        return UnknownError(str(meta.get("text") or "The database engine failed."))


# ---- the child ------------------------------------------------------------------------------
def _limit_memory(limit: int | None) -> None:
    if limit is None:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the engine limit holds
        pass


def _error_meta(exc: BaseException, memory_bytes: int | None) -> dict:
    text = f"{exc} {getattr(exc, 'detail', '') or ''}"
    if isinstance(exc, MemoryError) or "out of memory" in text.lower() \
            or "could not allocate" in text.lower():
        limit = f" ({memory_bytes // 1024 ** 2:,} MB)" if memory_bytes else ""
        exc = OutOfMemory(f"The query needed more memory than this connection allows{limit}.",
                          sql=getattr(exc, "sql", None))
    elif not isinstance(exc, OlympusError):
        exc = UnknownError(f"The database engine failed: {type(exc).__name__}.")
    try:
        return {"ok": False, "error": pickle.dumps(exc), "text": str(exc)}
    except Exception:
        return {"ok": False, "error": b"", "text": str(exc)}


def _build(spec: Spec):
    import importlib

    module, name = spec.cls.split(":")
    connector = getattr(importlib.import_module(module), name)(spec.params, **spec.options)
    connector.isolated = False  # in here the engine runs in-process
    connector.solo = True  # and one query at a time
    return connector


def _serve(inp, out) -> None:
    spec: Spec = _recv(inp)[0]["spec"]
    _limit_memory(spec.memory_bytes)
    try:
        connector = _build(spec)
    except BaseException as exc:
        _send(out, _error_meta(exc, spec.memory_bytes))
        return
    _answer(connector, {"sql": "SELECT 1", "limit": 1, "timeout_s": 30}, None)  # warm up
    _send(out, {"ok": True})
    while True:
        try:
            request, _ = _recv(inp)
        except EOFError:  # the app closed the pipe
            return
        _send(out, *_answer(connector, request, spec.memory_bytes))
        try:
            connector.between_queries()
        except Exception:  # the next query opens what it needs and reports its own error
            pass


def _answer(connector, request: dict, memory_bytes: int | None) -> tuple[dict, Any]:
    import pyarrow as pa

    try:
        got = connector.fetch(request["sql"], limit=request["limit"],
                              timeout_s=request["timeout_s"], params=request.get("params"))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, got.table.schema, options=_ipc_options()) as writer:
            writer.write_table(got.table)
    except BaseException as exc:  # MemoryError included: reported, and the child lives on
        return _error_meta(exc, memory_bytes), b""
    return {"ok": True, "truncated": got.truncated, "db_types": got.db_types,
            "truncated_by": got.truncated_by}, sink.getvalue()


@functools.cache
def _ipc_options():
    """Explicit options: pyarrow otherwise reads two environment variables on every write."""
    import pyarrow as pa

    return pa.ipc.IpcWriteOptions()


def _recv(inp) -> tuple[dict, Any]:
    head = inp.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    meta_len, body_len = HEADER.unpack(head)
    return pickle.loads(inp.read(meta_len)), inp.read(body_len) if body_len else None


def main() -> None:
    """Protocol on the original stdin/stdout; anything the engine prints goes to stderr."""
    from olympus.cli_startup import lean_arrow

    lean_arrow(numpy=True)  # rows become Arrow IPC here: pandas is never needed
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, out)


if __name__ == "__main__":  # run the imported module's main: errors pickle under its name
    from olympus.connectors.worker import main as serve

    serve()
