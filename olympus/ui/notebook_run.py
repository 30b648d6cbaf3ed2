"""Running notebook cells from the page: one cell, or every cell in order in a worker thread with
a progress bar and Cancel (olympus.ui.running; QueryHandle stops the statement on the server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from olympus.notebooks.model import Notebook
from olympus.ui import notebook_state as nstate
from olympus.ui import running, state, widgets
from olympus.ui.safe_text import md_text

TICK_S = 0.25


@dataclass(eq=False)
class Progress:
    """Where a run-all is: written by the worker, read by the page."""

    at: int = 0
    total: int = 0
    cell: str = ""
    done_cells: list = field(default_factory=list)


def run_cell(ws, nb: Notebook, cell_id: str, chosen: dict[str, Any]) -> None:
    """Run one cell now (its upstream compiled in); the result or error is kept for the page."""
    from olympus.notebooks.run import CellRun

    cell = nb.cell(cell_id)
    with st.spinner(f"Running {md_text(cell.name)}…"):
        try:
            run = ws.run_cell(nb.id, cell.id, chosen)
        except Exception as exc:  # refused before it ran (role, bad parameter value)
            run = CellRun(cell.name, cell.id, cell.kind, "error",
                          error=_olympus_error(exc), sql=cell.sql)
    nstate.keep(ws.owner, nb.id, run)


def _olympus_error(exc: BaseException):
    from olympus.errors import OlympusError, UnknownError

    return exc if isinstance(exc, OlympusError) else UnknownError(f"{type(exc).__name__}")


def start_all(ws, nb: Notebook, chosen: dict[str, Any]) -> running.Job:
    """Run every cell in the background; the page follows it (follow_all)."""
    handle = running.new_handle()
    progress = Progress(total=len(nb.cells))

    def tick(i: int, total: int, cell) -> None:
        progress.at, progress.total, progress.cell = i, total, cell.name

    job = running.start_call("notebook", nb.name, nb.name, lambda: ws.run_all(
        nb.id, chosen, progress=tick, handle=handle))
    job.handle, job.sql = handle, ""
    job.progress = progress  # type: ignore[attr-defined]
    state.put(ws.owner, "nb:job", (nb.id, job))
    return job


def pending(ws, nb: Notebook) -> running.Job | None:
    held = state.get(ws.owner, "nb:job")
    return held[1] if held and held[0] == nb.id else None


def follow_all(ws, nb: Notebook, job: running.Job) -> None:
    """The progress bar and Cancel until the run settles; then its results are kept and the
    page reruns. The loop touches the page each tick, so a Cancel click interrupts at once."""
    progress = job.progress  # type: ignore[attr-defined]
    with st.container(border=True, key="nb-progress"):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown("**Running all cells**")
            if job.cancelled_at is None:
                st.button("Cancel", key=f"nb:cancel:{job.id}", icon=":material/stop_circle:",
                          on_click=running.cancel, args=(job,))
        bar = st.progress(0.0)
        while not job.settled:
            what = "Cancelling" if job.cancelled_at is not None else "Running"
            bar.progress(min(progress.at / max(progress.total, 1), 1.0),
                         text=f"{what} cell {progress.at + 1} of {progress.total}: "
                              f"{md_text(progress.cell)} · {job.elapsed:.1f} s")
            job.done.wait(TICK_S)
    state.pop(ws.owner, "nb:job")
    settle_all(ws, nb, job)
    st.rerun()


def settle_all(ws, nb: Notebook, job: running.Job) -> None:
    """Keep every cell's run; a cancel or failure before any cell ran is said once."""
    outcome = job.outcome
    if outcome is None:
        error = running.cancelled_error(job) if running.was_cancelled(job) else \
            widgets.as_error(job.error)
        state.put(ws.owner, "nb:notice", error)
        return
    for run in outcome.cells:
        if run.status in ("ok", "error"):
            nstate.keep(ws.owner, nb.id, run)
    if outcome.cancelled:
        ran = sum(1 for r in outcome.cells if r.status == "ok")
        state.put(ws.owner, "nb:notice", {
            "type": "cancelled", "title": "Run cancelled",
            "message": f"Stopped after {ran} cell{'s' if ran != 1 else ''}; the database "
                       "stopped the running query."})
