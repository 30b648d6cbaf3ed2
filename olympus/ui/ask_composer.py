"""The Ask page's lower part as one fragment: results new since the page was drawn, the query in
flight, the SQL editor, the chat box and the history in the sidebar.

Submitting a query (chat box, editor, or "Run" on an earlier result) reruns only this fragment:
the conversation above it is not redrawn or re-sent, and the new result is drawn where its
progress was, in the same run (no second script run per query). A full run (page switch,
another connection) draws every entry in the conversation again, each in its own fragment.
"""

from __future__ import annotations

import streamlit as st

from olympus.ui import ask_entries, editor, preview, running, state, widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

COMPOSER = "ask-composer"  # the fragment's key: callbacks elsewhere rerun it with st.rerun(key)
DRAWN = "ask:drawn_upto"  # the last entry the conversation (a full run) drew
CANCEL_LATENCY_S = 0.4  # a fragment run follows the query this long, then reruns
QUICK_S = 0.25  # a query done by then shows its result at once, with no progress drawn first


def drawn(owner: str) -> None:
    """Called by the full run: entries up to the latest belong to the conversation now."""
    entries = state.history(owner)
    state.put(owner, DRAWN, entries[-1].id if entries else 0)


def rerun() -> None:
    """From a widget callback: run only the composer (it follows the job just submitted)."""
    st.rerun(COMPOSER)


@st.fragment(key=COMPOSER)
def composer(ws: Workspace, name: str, mode: str, record) -> None:
    from olympus.ui import ask

    owner = ws.owner
    upto = state.get(owner, DRAWN, 0)
    for entry in [e for e in state.history(owner) if e.id > upto]:
        ask_entries.show_entry(ws, entry, scroll=state.get(owner, "scroll") == f"entry-{entry.id}")
    slot = st.empty()  # the query in flight, then its result: above the editor, in view
    if mode == "sql":
        editor_area(ws, name, record)
    placeholder = ("Ask a question about your data…" if mode == "ask"
                   else f"…or a one-line query for {name} (Shift+Enter for a new line)")
    with st.bottom:  # pinned under the page, written by this fragment
        prompt = st.chat_input(placeholder, key="ask:prompt")
    if prompt:
        ask.submit(ws, name, prompt, ask_mode=mode == "ask")
    notice = state.get(owner, "notice")  # e.g. "that looks like a question": under the editor
    if notice:
        st.warning(notice, icon=":material/info:")
    preview.confirm_box(ws, name, lambda sql: ask.submit(ws, name, sql, ask_mode=False))
    job = state.get(owner, "job")
    if job is not None:
        settle(ws, job, slot)
    preview.hints_box(ws, name)
    ask_entries.sidebar_history(owner)
    if str(state.get(owner, "scroll") or "").startswith("entry-"):
        state.pop(owner, "scroll")


def settle(ws: Workspace, job: running.Job, slot) -> None:
    """The job's result in its slot, scrolled into view, without a rerun of the page (the
    history above stays as it is). A quick query shows its result straight away; a slower one
    shows its progress for a moment and reruns the fragment (a Cancel click, queued behind the
    running fragment, gets through in between) until it settles."""
    partial = _fragment_run()
    if partial and not job.settled:
        job.done.wait(QUICK_S)
    if job.settled:
        if state.get(ws.owner, "job") is job:
            state.pop(ws.owner, "job")
        with slot.container():
            ask_entries.show_entry(ws, to_entry(ws.owner, job), scroll=True)
        return
    with slot.container():
        ask_entries.follow(job, for_s=CANCEL_LATENCY_S if partial else None)
    st.rerun(scope="fragment" if partial else "app")  # the next run draws the result alone


def _fragment_run() -> bool:
    """Whether this run reruns fragments only (a fragment-scoped st.rerun is allowed)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def to_entry(owner: str, job: running.Job) -> state.Entry:
    base = {"mode": job.mode, "connection": job.connection, "question": job.question}
    if running.was_cancelled(job):
        return state.add_entry(owner, sql=job.sql, error=running.cancelled_error(job), **base)
    if job.error is not None:
        error = widgets.as_error(job.error)
        if job.mode == "sql":
            error["sql"] = error.get("sql") or job.sql
        return state.add_entry(owner, sql=job.sql, error=error, **base)
    out = job.outcome
    if job.mode == "sql":
        return state.add_entry(owner, sql=out.sql, result=out, **base)
    error = getattr(out, "error", None)
    return state.add_entry(
        owner, sql=getattr(out, "sql", "") or "", result=getattr(out, "result", None),
        error=widgets.as_error(error) if error is not None else None,
        chart=getattr(out, "chart", None), answer=getattr(out, "answer", None),
        tables=tuple(getattr(out, "tables", ()) or ()),
        attempts=tuple(getattr(out, "attempts", ()) or ()),
        follow_ups=tuple(getattr(out, "follow_ups", ()) or ()), **base)


# ---- the editor -----------------------------------------------------------------------------
def editor_area(ws: Workspace, name: str, record) -> None:
    """Highlighting, autocomplete of this connection's tables, columns and keywords, Ctrl/Cmd+
    Enter to run, Format. An edit reruns the composer only (and clears a stale notice)."""
    owner = ws.owner
    dialect = ws.connector_class(name).dialect
    with st.container(key="ask-editor"):
        st.caption(f"{ICONS['sql']} SQL editor · {md_text(name)} · Ctrl/Cmd+Enter runs")
        event = editor.sql_editor(
            state.get(owner, "editor:text", ""), items=completion_items(ws, record, dialect),
            key=f"ask:editor:{state.get(owner, 'editor:nonce', 0)}",
            placeholder="SELECT … (tables, columns and keywords complete as you type)")
        if event is not None:  # any edit, run or format makes an older notice stale
            state.put(owner, "editor:text", event.text)
            state.pop(owner, "notice")
        if event is not None and event.kind == "format":
            formatted, problem = editor.format_sql(event.text, dialect)
            if problem:
                state.put(owner, "notice", problem)
            elif formatted != event.text:
                state.put(owner, "editor:text", formatted)
                state.put(owner, "editor:nonce", state.get(owner, "editor:nonce", 0) + 1)
                st.rerun(scope="fragment")
        elif event is not None and event.kind == "submit":
            from olympus.ui import ask

            if event.text.strip():
                ask.submit(ws, name, event.text, ask_mode=False)
            else:
                state.put(owner, "notice", "Write a query first.")
    if state.pop(owner, "scroll") == "ask-editor":
        ask_entries.scroll_to("ask-editor")


def completion_items(ws: Workspace, record, dialect: str) -> tuple[dict, ...]:
    """From the cached catalog (never a live query per keystroke); keywords alone without one."""
    from olympus.ui import resources

    stamp = record.introspected_at.isoformat() if record.introspected_at else ""
    try:
        catalog = resources.snapshot(ws, record)
    except Exception:  # unreachable database: keywords still complete
        catalog = None
    return editor.completions(catalog, dialect, cache_key=(
        ws.owner, record.id, stamp if catalog is not None else "none", dialect))
