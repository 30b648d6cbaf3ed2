"""How the Ask page shows things: entries, the query in flight, the history, scrolling."""

from __future__ import annotations

import time

import streamlit as st

from olympus.ui import results, running, state, verified, widgets
from olympus.ui.running import Job
from olympus.ui.safe_text import md_code, md_text, safe_answer_markdown
from olympus.ui.state import Entry
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

TICK_S = 0.2  # how often the clock of a running query moves (and a Cancel click gets through)


def scroll_to(key: str, *, inner: str | None = None) -> None:
    """Bring a keyed block's top into view (below Streamlit's header); when `inner` would still
    sit in the lower part of the window (a long SQL echo above it), that block's top instead.
    Only generated keys go into the script, never user text. It scrolls the nearest scrolling
    ancestor and writes nothing into the page (no style change: one DOM change less per result)."""
    st.iframe(  # a same-origin srcdoc frame of no height: the script reaches the page around it
        "<script>(() => {const d = window.parent.document, w = window.parent; let n = 0;"
        "let user = false; const stop = () => { user = true; };"
        "['wheel', 'touchstart', 'keydown', 'mousedown'].forEach("
        "  e => d.addEventListener(e, stop, {once: true, passive: true}));"
        f"const inner = {repr('.st-key-' + inner) if inner else 'null'};"
        "const scroller = e => { for (let p = e.parentElement; p; p = p.parentElement) {"
        "  const y = w.getComputedStyle(p).overflowY;"
        "  if ((y === 'auto' || y === 'scroll') && p.scrollHeight > p.clientHeight) return p; }"
        "  return d.scrollingElement; };"
        "const go = () => {"
        f"  const el = d.querySelector('.st-key-{key}');"
        "  if (user || n++ > 40) return;"  # ~2 s: Streamlit's stick-to-bottom may move it meanwhile
        "  if (el) { const r = inner && el.querySelector(inner);"
        "    const top = e => e.getBoundingClientRect().top;"
        "    const want = r && top(r) - top(el) > w.innerHeight * 0.6 - 72 ? r : el;"
        "    if (top(want) < 40 || top(want) > 120) scroller(want).scrollBy(0, top(want) - 72); }"
        "  setTimeout(go, 50); };"
        "setTimeout(go, 30); })();</script>", height=1)


def echo(mode: str, sql: str, question: str | None) -> None:
    with st.chat_message("user", avatar=":material/person:"):
        if question:
            st.markdown(md_text(question))
        else:
            st.code(sql, language="sql", wrap_lines=True)


def follow(job: Job, *, for_s: float | None = None) -> None:
    """The submission at once, a spinner with the elapsed time and Cancel, until it settles
    (or for `for_s` seconds: inside a fragment a click can't interrupt the run, so the caller
    ends the run and reruns the fragment, and the click gets through in between)."""
    with st.container(key=f"ask-job-{job.id}"):
        echo(job.mode, job.sql, job.question)
        with st.chat_message("assistant", avatar=":material/insights:"):
            with st.container(horizontal=True, vertical_alignment="center"):
                clock = st.empty()
                if job.cancelled_at is None:
                    st.button("Cancel", key=f"job{job.id}:cancel", icon=":material/stop_circle:",
                              on_click=running.cancel, args=(job,))
            verb = "Thinking" if job.mode == "ask" else "Running"
            if job.settled:
                return
            scroll_to(f"ask-job-{job.id}")
            until = None if for_s is None else time.monotonic() + for_s
            with st.spinner(f"{verb} on {md_text(job.connection)}…"):
                while not job.settled and (until is None or time.monotonic() < until):
                    what = "Cancelling" if job.cancelled_at is not None else verb
                    clock.caption(f"{what}… {job.elapsed:.1f} s")
                    job.done.wait(TICK_S)


@st.fragment
def entry_block(ws: Workspace, entry_id: int) -> None:
    """One earlier result as its own fragment: changing its chart, downloading or editing it
    reruns this block alone, never the rest of the conversation."""
    entry = state.find_entry(ws.owner, entry_id)
    if entry is not None:
        show_entry(ws, entry)


def show_entry(ws: Workspace, entry: Entry, *, scroll: bool = False) -> None:
    with st.container(key=f"ask-entry-{entry.id}"):
        echo(entry.mode, entry.sql, entry.question)
        with st.container(key=f"ask-result-{entry.id}"):
            with st.chat_message("assistant", avatar=":material/insights:"):
                answer(ws, entry)
    if scroll:
        scroll_to(f"ask-entry-{entry.id}", inner=f"ask-result-{entry.id}")


def answer(ws: Workspace, entry: Entry) -> None:
    source = "AI" if entry.mode == "ask" else "SQL"
    # one line, one element (was a row of a badge and a caption): the name escaped as text
    st.markdown(f":violet-badge[{ICONS['sql']} {source} · {md_text(entry.connection)}] "
                f":small[:gray[{entry.created_at.astimezone():%H:%M:%S}]]")
    if entry.answer:  # model text: no images, HTML or links leaving the app
        st.markdown(safe_answer_markdown(entry.answer))
    if entry.tables:
        st.caption("Tables sent to the LLM: " + ", ".join(md_code(t) for t in entry.tables))
    if entry.attempts:
        attempts(entry)
    if entry.question and entry.sql:
        st.code(entry.sql, language="sql")
    if entry.error is not None:
        widgets.error_box(entry.error)
    elif entry.result is not None:
        results.result_view(entry.result, key=f"e{entry.id}", spec=entry.chart,
                            name=entry.question or f"{entry.connection}_query_{entry.id}",
                            connection=entry.connection)
    else:
        st.caption("This older result was dropped to save memory; run it again to see it.")
    verified.result_extras(ws, entry)  # lineage line, Save as verified, Explain
    follow_up_buttons(ws, entry)
    edit_and_rerun(ws, entry)


def attempts(entry: Entry) -> None:
    """Each SQL the agent tried before this one, with the error that made it try again."""
    n = len(entry.attempts)
    label = (f"Corrected itself: {n} failed attempt{'s' if n != 1 else ''} before this query"
             if entry.ok else f"{n} attempt{'s' if n != 1 else ''}, none ran")
    with st.expander(label, icon=":material/history:"):
        for i, tried in enumerate(entry.attempts, 1):
            st.caption(f"Attempt {i} of {n}")
            st.code(getattr(tried, "sql", ""), language="sql", wrap_lines=True)
            st.text(getattr(tried, "error", ""))  # the database's words: text, never markdown


def follow_up_buttons(ws: Workspace, entry: Entry) -> None:
    """The model's suggested next questions; a click asks one on the same connection."""
    if not entry.follow_ups or not entry.ok or not ws.principal.can("query"):
        return
    with st.container(horizontal=True, key=f"ask-follow-{entry.id}"):
        for i, question in enumerate(entry.follow_ups):
            st.button(md_text(question), key=f"e{entry.id}:follow{i}",
                      icon=":material/subdirectory_arrow_right:", type="secondary",
                      on_click=run_from_entry, args=(ws, entry.connection, question, True))


def run_from_entry(ws: Workspace, connection: str, text: str, ask_mode: bool) -> None:
    """Callback of a button on an earlier result: start it, then rerun only the composer,
    which follows it and draws its result under the conversation (scrolled into view)."""
    from olympus.ui import ask_composer

    ask_composer.send(ws, connection, text, ask_mode=ask_mode)


def edit_and_rerun(ws: Workspace, entry: Entry) -> None:
    """Quick edit in place, or open it in the full editor; either way the new result lands at the
    bottom and is scrolled into view. The editor is built only once opened (every result on the
    page costs each later rerun in the browser)."""
    if not entry.sql or not ws.principal.can("query"):
        return
    with st.expander("Edit SQL and run again", icon=ICONS["edit"], key=f"e{entry.id}:edit",
                     on_change="rerun") as box:
        if not box.open:
            return
        sql = st.text_area("SQL", value=entry.sql, key=f"e{entry.id}:sql", height=160,
                           label_visibility="collapsed")
        with st.container(horizontal=True):
            st.button("Run", icon=ICONS["run"], type="primary", key=f"e{entry.id}:run",
                      on_click=lambda: run_from_entry(
                          ws, entry.connection, st.session_state.get(f"e{entry.id}:sql") or sql,
                          False))
            st.button("Open in the SQL editor", icon=ICONS["sql"], key=f"e{entry.id}:open",
                      on_click=open_and_show, args=(ws.owner, entry.connection, sql))


def open_in_editor(owner: str, connection: str | None, sql: str) -> None:
    """Callback: the SQL goes into the main editor (remounted), SQL mode, and the view follows
    (also used by "Query this table")."""
    state.put(owner, "editor:text", sql)
    state.put(owner, "editor:nonce", state.get(owner, "editor:nonce", 0) + 1)
    if connection is not None:
        state.select_connection(owner, connection)
        st.session_state.pop("ask:conn", None)  # the picker is redrawn on that connection
    st.session_state["ask:mode"] = "sql"
    state.put(owner, "scroll", "ask-editor")


def open_and_show(owner: str, connection: str | None, sql: str) -> None:
    """Callback of "Open in the SQL editor": a full run, the pickers change too."""
    open_in_editor(owner, connection, sql)
    _full_run()


def _full_run() -> None:
    """From a callback of a widget inside a fragment: rerun the whole page, not the fragment
    (outside a script run, e.g. called directly, nothing to do)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is not None:
        st.rerun()


def reopened(ws: Workspace, entry: Entry) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"{ICONS['history']} Re-opened query **#{entry.id}**")
        if st.button("Back to the conversation", icon=":material/arrow_back:", key="ask:back"):
            state.put(ws.owner, "focus", None)
            st.rerun()
    show_entry(ws, entry)


def sidebar_history(owner: str, *, pending: list[Job] = ()) -> None:
    """This session's queries, newest first; one just sent heads the list (its status and
    link show from the next time the history is drawn)."""
    entries = state.history(owner)
    with st.sidebar:
        st.markdown(f"**{ICONS['history']} This session**")
        if not entries and not pending:
            st.caption("Your questions and queries appear here.")
        for job in pending:
            pending_line(job)
        for entry in reversed(entries):
            history_button(owner, entry)


def pending_line(job: Job) -> None:
    text = job.question or " ".join(job.sql.split())
    st.caption(f"{ICONS['run']} {md_text(text if len(text) <= 48 else text[:45] + '…')}")


def history_button(owner: str, entry: Entry) -> None:
    icon = ICONS["ok"] if entry.ok else ICONS["failed"]
    st.button(md_text(entry.label), key=f"hist:{entry.id}", icon=icon, type="tertiary",
              on_click=reopen, args=(owner, entry.id),
              help=f"{md_text(entry.connection)} · {entry.created_at:%H:%M:%S}")


def reopen(owner: str, entry_id: int) -> None:
    """Callback: show that entry alone (from a button inside a fragment, the whole page is
    drawn again; outside one, the click's own run already is)."""
    state.put(owner, "focus", entry_id)
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun()
