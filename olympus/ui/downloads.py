"""'Download all rows' on the page: the query runs again in a worker thread (olympus.ui.running)
with elapsed time, per-batch write progress and Cancel (the statement stops on the server). The
file waits on disk, not in session state: one per button, deleted when a new one replaces it,
when dismissed, or when the session ends; the Save button reads it only when clicked."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from olympus import downloads
from olympus.downloads import FORMATS, Fetch
from olympus.ui import running, widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS

if TYPE_CHECKING:
    from olympus.downloads import Export

TICK_S = 0.25
FRAGMENT_S = 0.5  # inside a fragment: how long one run follows the download
HELP = "Runs the query again without the row limit (the size cap still applies)"


@dataclass(eq=False)
class Progress:
    """Where a download is: written by the worker, read by the page."""

    done: int = 0
    total: int = 0
    writing: bool = False

    def tick(self, done: int, total: int) -> None:
        self.done, self.total, self.writing = done, total, True


def controls(*, key: str, name: str, fetch: Fetch) -> None:
    """A format picker and 'Download all rows' (a notebook cell's compact result)."""
    with st.container(horizontal=True, vertical_alignment="bottom"):
        fmt = st.segmented_control("File format", list(FORMATS), default="csv",
                                   key=f"{key}:allfmt", format_func=lambda f: FORMATS[f][0],
                                   label_visibility="collapsed") or "csv"
        clicked = button(key=key)
    offer(key=key, name=name, fmt=fmt, fetch=fetch, clicked=clicked)


def button(*, key: str) -> bool:
    return st.button("Download all rows", key=f"{key}:all", icon=ICONS["download"], help=HELP)


def offer(*, key: str, name: str, fmt: str, fetch: Fetch, clicked: bool) -> None:
    """After a click: the running download (progress, Cancel), then its file to save."""
    if clicked:
        start(key=key, name=name, fmt=fmt, fetch=fetch)
    held = st.session_state.get(f"{key}:all:job")
    if held is not None:
        follow(key, *held)
    notice = st.session_state.get(f"{key}:all:notice")
    if notice is not None:
        widgets.error_box(notice, show_sql=False)
    ready = st.session_state.get(f"{key}:all:file")
    if ready is not None:
        save(key, ready)


def start(*, key: str, name: str, fmt: str, fetch: Fetch) -> running.Job:
    """Run fetch + write in a worker; a previous file for this button is deleted."""
    discard(key)
    st.session_state.pop(f"{key}:all:notice", None)
    handle, progress = running.new_handle(), Progress()
    job = running.start_call("download", name, f"all rows as {FORMATS[fmt][0]}", lambda:
                             downloads.prepare(fetch, fmt, name=f"{name}_all", handle=handle,
                                               on_progress=progress.tick))
    job.handle = handle
    st.session_state[f"{key}:all:job"] = (job, progress)
    return job


def follow(key: str, job: running.Job, progress: Progress) -> None:
    """Elapsed time while the query runs, rows written while the file is written, and Cancel.
    Outside fragments the loop runs until the job settles (a click interrupts it at once);
    inside one a click waits for the run to end, so the loop lasts FRAGMENT_S and the run
    starts again. Once settled the box goes and the outcome is drawn in the same run."""
    box, until = st.empty(), _deadline()
    with box.container(border=True, key=f"{key}-all-progress"):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"**Downloading {md_text(job.question)}**")
            if job.cancelled_at is None:
                st.button("Cancel", key=f"{key}:all:cancel:{job.id}",
                          icon=":material/stop_circle:", on_click=running.cancel, args=(job,))
        bar = st.progress(0.0, text=status_text(job, progress))
        while not job.settled and (until is None or time.monotonic() < until):
            bar.progress(min(progress.done / max(progress.total, 1), 1.0),
                         text=status_text(job, progress))
            job.done.wait(TICK_S)
    if not job.settled:  # in a fragment: let a queued Cancel click through, then follow on
        st.rerun(scope="fragment" if _fragment_run() else "app")
    box.empty()
    st.session_state.pop(f"{key}:all:job", None)
    settle(key, job)


def _deadline() -> float | None:
    """When the loop must end so a click can get through (None: it can run to the end)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        inside = ThreadState.get().fragment_id is not None
    except (ImportError, AttributeError):  # another Streamlit: follow in short runs anyway
        inside = True
    return time.monotonic() + FRAGMENT_S if inside else None


def _fragment_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def status_text(job: running.Job, progress: Progress) -> str:
    if job.cancelled_at is not None:
        return f"Cancelling… {job.elapsed:.1f} s"
    if not progress.writing:
        return f"Running the query for every row… {job.elapsed:.1f} s"
    return f"Writing {progress.done:,} of {progress.total:,} rows… {job.elapsed:.1f} s"


def settle(key: str, job: running.Job) -> None:
    """Keep the file (deleted with the session at the latest) or say why there is none."""
    if job.error is None and isinstance(job.outcome, downloads.Export):
        keep(key, job.outcome)
        return
    if running.was_cancelled(job):
        ran = (job.cancelled_at or job.started) - job.started
        notice: Any = {"type": "cancelled", "title": "Download cancelled",
                       "message": f"Cancelled after {ran:.1f} s; the database stopped the "
                                  "query and no file was kept."}
    else:
        notice = widgets.as_error(job.error)
    st.session_state[f"{key}:all:notice"] = notice


def keep(key: str, ready: "Export") -> None:
    weakref.finalize(ready, _delete, ready.path)  # the session (its state) went away
    st.session_state[f"{key}:all:file"] = ready


def discard(key: str) -> None:
    ready = st.session_state.pop(f"{key}:all:file", None)
    if ready is not None:
        ready.discard()


def save(key: str, ready: "Export") -> None:
    """Save (the file is read from disk on click) and Discard; a note when it isn't whole."""
    kind = FORMATS[ready.file_name.rsplit(".", 1)[-1]][0]
    with st.container(horizontal=True, vertical_alignment="center"):
        st.download_button(f"Save all {ready.rows:,} rows ({kind})", data=_reader(ready.path),
                           file_name=ready.file_name, mime=ready.mime, icon=ICONS["download"],
                           key=f"{key}:all:save", on_click="ignore", type="primary")
        st.caption(f"{_size(ready.size)} · kept until you discard it or leave")
        st.button("Discard", key=f"{key}:all:discard", type="tertiary",
                  icon=":material/delete:", on_click=discard, args=(key,))
    if ready.note:
        st.warning(md_text(ready.note), icon=":material/content_cut:")


def _reader(path: str):
    from pathlib import Path

    return lambda: Path(path).read_bytes()


def _delete(path: str) -> None:
    from pathlib import Path

    Path(path).unlink(missing_ok=True)


def _size(n: int) -> str:
    from olympus.ops.cost import size

    return size(n)
