"""Ask page: a chat bound to one connection; SQL mode runs SQL directly, no LLM needed.

Every submission runs in a worker thread (olympus.ui.running): the page echoes it at once with
a spinner, the elapsed time and Cancel, then shows the result in the same place and scrolls it
into view. Only what changed is drawn again: each earlier result is its own fragment, and the
editor and chat box are one more and each new result gets a slot fragment of its own
(olympus.ui.ask_composer), so a query or a click on one result never re-sends the rest. The text-to-SQL agent plugs in
through `agent_status()`: the page calls
`olympus.agent.ask(workspace, connection_name, question, history=[...])` only when that function
exists and an LLM key is configured.
"""

from __future__ import annotations

import re

import streamlit as st

from olympus.config import Settings
from olympus.ui import (agent_tables, ask_composer, ask_entries, editor, preview, resources,
                        running, state, widgets)
from olympus.ui.ask_composer import completion_items  # noqa: F401  (the notebook editor's too)
from olympus.ui.ask_entries import reopened, sidebar_history
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

MODES = {"ask": "Ask in English", "sql": "SQL"}
EXAMPLES = {  # shown for the demo database when the chat is empty
    "Loans originated per month": (
        "SELECT date_trunc('month', origination_date) AS month, count(*) AS loans\n"
        "FROM loans\nGROUP BY 1\nORDER BY 1"),
    "Outstanding principal by region": (
        "SELECT b.region, sum(l.outstanding_principal) AS outstanding\n"
        "FROM loans l JOIN branches b ON b.branch_id = l.branch_id\n"
        "GROUP BY 1\nORDER BY 2 DESC"),
    "Default rate by credit band": (
        "SELECT c.credit_score_band,\n"
        "       avg(CASE WHEN l.status IN ('default', 'charged_off') THEN 1.0 ELSE 0 END)"
        " AS default_rate\n"
        "FROM loans l JOIN customers c ON c.customer_id = l.customer_id\nGROUP BY 1\nORDER BY 1"),
}
PENDING_SQL = "ask:pending_sql"  # set by the Schema page: open the editor on this SQL
_FIRST_WORD = re.compile(r"\s*(--|/\*|\(|[A-Za-z_]+)")


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    owner = ws.owner
    widgets.header("Ask", ICONS["ask"],
                   "Ask a question in plain English, or write SQL. Every query runs read-only "
                   "with a row limit and a timeout.")
    records = widgets.connections_or_notice(ws)
    if not records:
        return
    agent_ok, why = agent_status(config)
    pending = st.session_state.pop(PENDING_SQL, None)  # "Query this table" on the Schema page
    if pending:
        ask_entries.open_in_editor(owner, None, str(pending))
    name, mode = pickers(ws, records, agent_ok, why)
    record = next(r for r in records if r.name == name)
    focus = state.find_entry(owner, state.get(owner, "focus"))
    if focus is not None:
        reopened(ws, focus)
    else:
        conversation(ws, name, records)
    ask_composer.reset(owner)  # the conversation holds every result: the slots are free
    if mode == "ask":
        sent = next((e.tables for e in reversed(state.history(owner))
                     if e.connection == name and e.mode == "ask"), ())
        agent_tables.controls(ws, record, sent)
    if not ws.principal.can("query"):  # the core refuses too; no input to offer
        st.info(f"As a {ws.principal.role} of this space you can open results but not run "
                "ad-hoc SQL or ask questions. Ask an admin for the editor role.",
                icon=":material/visibility:")
        sidebar_history(owner)
        return
    ask_composer.slots(ws)
    ask_composer.composer(ws, name, mode, record)
    ask_composer.chat(ws, name, mode)
    ask_composer.side(ws)


def pickers(ws: Workspace, records: list, agent_ok: bool, why: str) -> tuple[str, str]:
    """Connection and mode; with no LLM the mode is SQL and "Ask in English" is disabled with
    the reason beside it, so a question can never be sent as SQL by mistake."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        name = widgets.connection_picker(
            records, state.selected_connection(ws.owner, [r.name for r in records]),
            key="ask:conn", few=widgets.FEW_CONNECTIONS)
        state.select_connection(ws.owner, name)
    if not agent_ok:
        st.session_state["ask:mode"] = "sql"
    st.session_state.setdefault("ask:mode", "ask")
    with right:
        mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, key="ask:mode",
                                    disabled=not agent_ok) or "sql"
    if not agent_ok:
        st.caption(f"{ICONS['llm']} {why}")
    from olympus.ui.health import warn_if_failing  # the last background check failed: say so

    warn_if_failing(ws, name)
    return name, mode


# ---- submitting -----------------------------------------------------------------------------
def submit(ws: Workspace, name: str, text: str, *, ask_mode: bool) -> running.Job | None:
    """Start the query (or question) in the background; the page follows it in its slot."""
    owner = ws.owner
    state.put(owner, "focus", None)
    state.pop(owner, "notice")
    previous = state.get(owner, "job")
    if previous is not None and not previous.settled:  # a newer submission replaces it
        running.cancel(previous)
        state.add_entry(owner, mode=previous.mode, connection=previous.connection,
                        sql=previous.sql, question=previous.question,
                        error=running.cancelled_error(previous))
    if ask_mode:
        job = start_question(ws, name, text)
    elif looks_like_question(text, ws.connector_class(name).dialect):
        state.put(owner, "notice", (
            "That looks like a question, not SQL, so it was not run. " + (
                "Switch the mode to **Ask in English** to ask it." if agent_status(
                    resources.settings())[0] else
                "Plain-English questions need an LLM; write it as SQL, or configure one.")))
        state.pop(owner, "job")
        return None
    elif preview.should_wait(ws, name, text):  # above the cost thresholds: ask first
        return None
    else:
        job = running.start_sql(ws, name, text)
    state.put(owner, "job", job)
    return job


def looks_like_question(text: str, dialect: str) -> bool:
    """English, not SQL: the first word is no keyword of the dialect ("Which branch ...")."""
    first = _FIRST_WORD.match(text)
    if first is None:
        return True
    word = first.group(1)
    return word not in ("--", "/*", "(") and word.upper() not in editor.keywords(dialect)


def start_question(ws: Workspace, name: str, question: str) -> running.Job:
    """The agent's answer in the background, with this chat's context read here (not there)."""
    from olympus import agent

    past = [{"question": e.question, "sql": e.sql, "ok": e.ok, "answer": e.answer}
            for e in state.history(ws.owner) if e.connection == name][-6:]
    pinned, dropped = agent_tables.choices(ws.owner, name)
    handle = running.new_handle()  # Cancel stops the agent's running statement on the server
    return running.start_call("ask", name, question, lambda: agent.ask(
        ws, name, question, history=past, pinned=pinned, dropped=dropped, handle=handle),
        handle=handle)


def agent_status(config: Settings) -> tuple[bool, str]:
    """Whether plain-English questions can be answered here, and if not, what to do (one line)."""
    if not config.llm_configured:
        return False, ("Plain-English questions need an LLM: set `OPENAI_API_KEY` (see the "
                       "README) and restart. SQL works fully.")
    try:
        from olympus import agent
    except Exception:
        return False, "The text-to-SQL agent could not be loaded; SQL mode still works."
    if not callable(getattr(agent, "ask", None)):
        return False, "The text-to-SQL agent is not part of this build yet; SQL mode works fully."
    return True, ""


# ---- showing --------------------------------------------------------------------------------
def conversation(ws: Workspace, name: str, records: list) -> None:
    """Every entry in its own fragment: acting on one result reruns that entry alone."""
    entries = state.history(ws.owner)
    if not entries and state.get(ws.owner, "job") is None:
        empty_state(ws, name, records)
    target = state.get(ws.owner, "scroll")
    for entry in entries:
        ask_entries.entry_block(ws, entry.id)
        if target == f"entry-{entry.id}":
            ask_entries.scroll_to(f"ask-entry-{entry.id}", inner=f"ask-result-{entry.id}")
    if target and target.startswith("entry-"):
        state.pop(ws.owner, "scroll")


def empty_state(ws: Workspace, name: str, records: list) -> None:
    record = next((r for r in records if r.name == name), None)
    demo = record is not None and ws.is_demo(record)
    with st.container(border=True):
        st.markdown("**Start with a query.** Write SQL below, or try one of these:" if demo
                    else "**Start with a query.** Write SQL in the editor below; results come "
                         "back as a table and a chart.")
        if demo and ws.principal.can("query"):
            with st.container(horizontal=True):
                for label, sql in EXAMPLES.items():
                    if st.button(label, icon=ICONS["run"], key=f"example:{label}"):
                        submit(ws, name, sql, ask_mode=False)
