"""A query or question in flight: run in a worker thread so the page can show progress and Cancel.

A `Job` is the one mutable object here on purpose: the worker writes its outcome once, the page
reads it after `done` is set. A SQL job carries an `olympus.runner.QueryHandle` when the core
has one, and Cancel then stops the statement on the server (the query raises QueryCancelled).
"""

from __future__ import annotations

import inspect
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from olympus.workspace import Workspace

_IDS = itertools.count(1)


@dataclass(eq=False)
class Job:
    """One submission: what was sent, when, and (once `done`) what came back."""

    id: int
    mode: str  # "sql" | "ask"
    connection: str
    sql: str
    question: str | None
    handle: Any = None  # QueryHandle | None
    started: float = field(default_factory=time.monotonic)
    cancelled_at: float | None = None
    outcome: Any = None
    error: BaseException | None = None
    finished_at: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started

    @property
    def settled(self) -> bool:
        """Finished, or cancelled with nothing left to wait for: no server-side cancel, or a
        question (its handle stopped the statement already; a model reply is not awaited)."""
        return self.done.is_set() or (self.cancelled_at is not None
                                      and (self.handle is None or self.mode == "ask"))


def new_handle() -> Any:
    """A cancel handle when the core offers one (olympus.runner.QueryHandle), else None."""
    try:
        from olympus.runner import QueryHandle
    except ImportError:
        return None
    return QueryHandle() if _run_sql_takes_handle() else None


def _run_sql_takes_handle() -> bool:
    return "handle" in inspect.signature(Workspace.run_sql).parameters


def start_sql(ws: Workspace, name: str, sql: str, *, question: str | None = None) -> Job:
    handle = new_handle()
    job = Job(id=next(_IDS), mode="sql", connection=name, sql=sql, question=question,
              handle=handle)
    extra = {"handle": handle} if handle is not None else {}
    _start(job, lambda: ws.run_sql(name, sql, question=question, **extra))
    return job


def start_call(mode: str, name: str, question: str, work: Callable[[], Any], *,
               handle: Any = None) -> Job:
    """Any other long call (the agent's answer) with the same echo, clock and Cancel; with the
    `handle` the work runs its statements under, Cancel stops them on the server too."""
    job = Job(id=next(_IDS), mode=mode, connection=name, sql="", question=question,
              handle=handle)
    _start(job, work)
    return job


def _start(job: Job, work: Callable[[], Any]) -> None:
    def target() -> None:
        try:
            job.outcome = work()
        except BaseException as exc:  # handed to the page, shown as an error entry
            job.error = exc
        finally:
            job.finished_at = time.monotonic()
            job.done.set()

    thread = threading.Thread(target=target, name=f"olympus-job-{job.id}", daemon=True)
    try:  # cached resources reached from the worker see this session's context, not a warning
        from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

        add_script_run_ctx(thread, get_script_run_ctx(suppress_warning=True))
    except Exception:
        pass
    thread.start()


def cancel(job: Job) -> None:
    """Ask the server to stop (PostgreSQL cancel, DuckDB interrupt ...); idempotent."""
    if job.cancelled_at is None and not job.done.is_set():
        job.cancelled_at = time.monotonic()
        if job.handle is not None:
            job.handle.cancel()


def was_cancelled(job: Job) -> bool:
    """Cancel won: nothing to wait for, or the work ended with QueryCancelled (raised, or as
    the agent answer's error); work that finished first keeps its result."""
    if job.cancelled_at is None:
        return False
    if job.handle is None or not job.done.is_set():
        return True
    error = job.error if job.error is not None else getattr(job.outcome, "error", None)
    return type(error).__name__ == "QueryCancelled"


def cancelled_error(job: Job) -> dict:
    """The entry's error once Cancel won: how long it ran and what happened on the server."""
    ran = (job.cancelled_at or time.monotonic()) - job.started
    if job.handle is not None and job.mode == "ask":
        message = (f"Cancelled after {ran:.1f} s; the question was stopped, and any query it "
                   "was running was stopped on the database.")
        hint = None
    elif job.handle is not None:
        message = f"Cancelled after {ran:.1f} s; the database stopped the query."
        hint = None
    else:
        message = f"Stopped waiting after {ran:.1f} s."
        hint = "This answer could not be stopped at its source; nothing was kept from it."
    return {"type": "cancelled", "title": "Query cancelled", "message": message,
            "suggestion": hint, "sql": job.sql or None}
