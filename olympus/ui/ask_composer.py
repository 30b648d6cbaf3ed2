"""The Ask page below the conversation: slots for new results, the composer (the SQL editor,
notices, cost hints), the chat box and the sidebar history, each a keyed fragment.

Submitting a query (chat box, editor, or "Run" on an earlier result) is a widget callback that
starts it and reruns only the next free slot, the sidebar history and the chat box (and the
composer when a notice or hints change): the conversation and earlier slots are neither redrawn
nor re-sent, and a quick result is drawn in that same run (no second script run per query). A
full run (page switch, another connection) draws every entry in the conversation again, each in
its own fragment, and frees the slots.
"""

from __future__ import annotations

import streamlit as st

from olympus.ui import ask_entries, editor, preview, running, state, widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

COMPOSER = "ask-composer"  # the fragment's key: callbacks elsewhere rerun it with st.rerun(key)
SIDE, CHAT = "ask-side", "ask-chat"  # the sidebar history slots' and the chat box's fragments
SLOTS = 4  # results a page holds below the conversation before a full run takes them in
CANCEL_LATENCY_S = 0.4  # a fragment run follows the query this long, then reruns
QUICK_S = 0.25  # a query done by then shows its result at once, with no progress drawn first


def _slots(owner: str) -> dict:
    """Slot number -> the Job it follows, or the id of the entry it shows."""
    return st.session_state.setdefault(f"olympus:{owner}:ask:slots", {})


def reset(owner: str) -> None:
    """Called by the full run, once the conversation holds every entry: the slots are free
    again, except for a query still in flight (slot 0 follows it)."""
    slots = _slots(owner)
    slots.clear()
    job = state.get(owner, "job")
    if job is not None:
        slots[0] = job


def slots(ws: Workspace) -> None:
    """The free places for new results, between the conversation and the editor: one keyed
    fragment each, so a new query reruns its own slot and nothing else."""
    with st.container(gap=None):  # empty slots take no room
        for i in range(SLOTS):
            st.fragment(_slot, key=f"ask-slot-{i}")(ws, i)


def _slot(ws: Workspace, i: int) -> None:
    with st.container(key=f"ask-slot-{i}"):  # one element always: reruns land in place
        item = _slots(ws.owner).get(i)
        if item is not None:
            st.space("small")
        if isinstance(item, int):
            entry = state.find_entry(ws.owner, item)
            if entry is not None:
                ask_entries.show_entry(ws, entry)
        elif item is not None:
            settle(ws, item, i)


def send(ws: Workspace, name: str, text: str, *, ask_mode: bool) -> None:
    """From a widget callback: start the query in the next free slot and rerun only that slot
    and the composer (a full run once every slot is used)."""
    from olympus.ui import ask

    owner, slots_ = ws.owner, _slots(ws.owner)
    before = state.get(owner, "job")
    shown = (state.get(owner, "notice") is not None, _hints(owner, name))
    job = ask.submit(ws, name, text, ask_mode=ask_mode)
    replaced = []
    if before is not None and before is not job and state.history(owner):
        for i, item in slots_.items():  # the replaced query: its slot shows it cancelled
            if item is before:
                slots_[i] = state.history(owner)[-1].id
                replaced.append(f"{SIDE}-{i}")
    if job is None:
        st.rerun() if _added_entry(owner, before) else st.rerun([COMPOSER, CHAT])
    free = next((i for i in range(SLOTS) if i not in slots_), None)
    if free is None:
        st.rerun()
    slots_[free] = job
    stale = shown[0] or shown[1] or _hints(owner, name)  # a notice or hints to clear or show
    st.rerun([f"ask-slot-{free}", f"{SIDE}-{free}", *replaced, CHAT] + [COMPOSER] * stale)


def _hints(owner: str, name: str) -> bool:
    """Whether the composer shows cost hints for this connection's latest SQL."""
    shown = state.get(owner, preview.HINTS)
    return bool(shown and shown[0] == name and shown[3])


def _added_entry(owner: str, before) -> bool:
    """Whether the submission became an entry by itself (the engine crashed estimating it)."""
    latest = state.history(owner)[-1] if state.history(owner) else None
    return latest is not None and str(state.get(owner, "scroll")) == f"entry-{latest.id}"


@st.fragment(key=COMPOSER)
def composer(ws: Workspace, name: str, mode: str, record) -> None:
    """The editor, a notice, the cost question and hints."""
    from olympus.ui import ask

    owner = ws.owner
    if mode == "sql":
        editor_area(ws, name, record)
    notice = state.get(owner, "notice")  # e.g. "that looks like a question": under the editor
    if notice:
        st.warning(notice, icon=":material/info:")
    preview.confirm_box(ws, name, lambda sql: ask.submit(ws, name, sql, ask_mode=False))
    preview.hints_box(ws, name)


@st.fragment(key=CHAT)
def chat(ws: Workspace, name: str, mode: str) -> None:
    """The chat box, pinned under the page; sending is a callback (see `send`)."""
    placeholder = ("Ask a question about your data…" if mode == "ask"
                   else f"…or a one-line query for {name} (Shift+Enter for a new line)")
    with st.bottom:
        st.chat_input(placeholder, key="ask:prompt", on_submit=lambda: send(
            ws, name, st.session_state.get("ask:prompt") or "", ask_mode=mode == "ask"))


def side(ws: Workspace) -> None:
    """This session's history in the sidebar, newest first: one keyed fragment per slot (a
    query redraws its own line, running then done, not the whole list), then the entries the
    full run found, drawn with it."""
    in_slots = {item for item in _slots(ws.owner).values() if isinstance(item, int)}
    older = [e for e in state.history(ws.owner) if e.id not in in_slots]  # no line twice
    with st.sidebar:
        st.markdown(f"**{ICONS['history']} This session**")
    for i in reversed(range(SLOTS)):
        st.fragment(_side_slot, key=f"{SIDE}-{i}")(ws, i, empty=not older)
    with st.sidebar:
        for entry in reversed(older):
            ask_entries.history_button(ws.owner, entry)


def _side_slot(ws: Workspace, i: int, *, empty: bool) -> None:
    item = _slots(ws.owner).get(i)
    with st.sidebar, st.container(key=f"ask-side-{i}", gap=None):  # one element always
        entry = state.find_entry(ws.owner, item) if isinstance(item, int) else None
        if entry is not None:
            ask_entries.history_button(ws.owner, entry)
        elif isinstance(item, running.Job):
            ask_entries.pending_line(item)
        elif i == 0 and empty:
            st.caption("Your questions and queries appear here.")


def settle(ws: Workspace, job: running.Job, i: int) -> None:
    """The job's result in its slot, scrolled into view, without a rerun of the page (the
    history above stays as it is). A quick query shows its result straight away; a slower one
    shows its progress for a moment and reruns the slot (a Cancel click, queued behind the
    running fragment, gets through in between) until it settles."""
    partial = _fragment_run()
    if partial and not job.settled:
        job.done.wait(QUICK_S)
    if job.settled:
        if state.get(ws.owner, "job") is job:
            state.pop(ws.owner, "job")
        entry = to_entry(ws.owner, job)
        _slots(ws.owner)[i] = entry.id
        if job.mode == "ask" and partial:  # an answer changes more than its own result (the
            state.put(ws.owner, "scroll", f"entry-{entry.id}")  # tables sent, the chat's
            st.rerun()  # context): the page is drawn again, once, the answer scrolled to
        ask_entries.show_entry(ws, entry, scroll=True)
        return
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
        editor.sql_editor(
            state.get(owner, "editor:text", ""), items=completion_items(ws, record, dialect),
            key=f"ask:editor:{state.get(owner, 'editor:nonce', 0)}",
            placeholder="SELECT … (tables, columns and keywords complete as you type)",
            on_event=lambda event: editor_event(ws, name, dialect, event))
    if state.pop(owner, "scroll") == "ask-editor":
        ask_entries.scroll_to("ask-editor")


def editor_event(ws: Workspace, name: str, dialect: str, event: editor.EditorEvent) -> None:
    """Callback: Run starts the query in a slot; Format and edits rerun the composer only."""
    owner = ws.owner
    state.put(owner, "editor:text", event.text)
    if event.kind == "submit" and event.text.strip():
        send(ws, name, event.text, ask_mode=False)  # (clears an older notice itself)
    state.pop(owner, "notice")  # any edit, run or format makes an older notice stale
    if event.kind == "submit":
        state.put(owner, "notice", "Write a query first.")
    elif event.kind == "format":
        formatted, problem = editor.format_sql(event.text, dialect)
        if problem:
            state.put(owner, "notice", problem)
        elif formatted != event.text:
            state.put(owner, "editor:text", formatted)
            state.put(owner, "editor:nonce", state.get(owner, "editor:nonce", 0) + 1)
    st.rerun(COMPOSER)


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
