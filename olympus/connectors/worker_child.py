"""The worker child (`python -m olympus.connectors.worker_child`, started by
olympus.connectors.worker): builds the connector in-process, then answers one request at a time
on its stdin/stdout, an error reported as a pickled OlympusError, never a dead pipe."""

from __future__ import annotations

import os
import pickle
import sys

from olympus.connectors.worker import OutOfMemory, Spec
from olympus.connectors.worker_wire import encode, recv, send
from olympus.errors import OlympusError, UnknownError


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
    spec: Spec = recv(inp)[0]["spec"]
    _limit_memory(spec.memory_bytes)
    try:
        connector = _build(spec)
    except BaseException as exc:
        send(out, _error_meta(exc, spec.memory_bytes))
        return
    _answer(connector, {"sql": "SELECT 1", "limit": 1, "timeout_s": 30}, None)  # warm up
    send(out, {"ok": True})
    while True:
        try:
            request, _ = recv(inp)
        except EOFError:  # the app closed the pipe
            return
        meta, parts = _answer(connector, request, spec.memory_bytes)
        send(out, meta, *parts)
        try:
            connector.between_queries()
        except Exception:  # the next query opens what it needs and reports its own error
            pass


def _answer(connector, request: dict, memory_bytes: int | None) -> tuple[dict, list]:
    """(meta, body parts) of one request's reply: the result, or the error it raised."""
    try:
        got = connector.fetch(request["sql"], limit=request["limit"],
                              timeout_s=request["timeout_s"], params=request.get("params"))
        layout, parts = encode(got.table)
    except BaseException as exc:  # MemoryError included: reported, and the child lives on
        return _error_meta(exc, memory_bytes), []
    return {"ok": True, "layout": layout, "truncated": got.truncated,
            "db_types": got.db_types, "truncated_by": got.truncated_by}, parts


def main() -> None:
    """Protocol on the original stdin/stdout; anything the engine prints goes to stderr."""
    from olympus.cli_startup import lean_arrow

    lean_arrow(numpy=True)  # rows become Arrow IPC here: pandas is never needed
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, out)


if __name__ == "__main__":  # the errors it pickles live in olympus.connectors.worker
    main()
