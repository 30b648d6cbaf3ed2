"""Ask page: a chat bound to one connection; SQL mode runs SQL directly, no LLM needed.

The text-to-SQL agent plugs in through `agent_status()` / `ask_question()`: the page calls
`olympus.agent.ask(workspace, connection_name, question, history=[...])` only when that function
exists and an LLM key is configured.
"""

from __future__ import annotations

import streamlit as st

from olympus.config import Settings
from olympus.ui import agent_tables, resources, results, state, widgets
from olympus.ui.safe_text import badge_text, md_code, md_text, safe_answer_markdown
from olympus.ui.state import Entry
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
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        name = widgets.connection_picker(
            records, state.selected_connection(owner, [r.name for r in records]), key="ask:conn")
        state.select_connection(owner, name)
    with right:
        mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, key="ask:mode",
                                    default="ask" if agent_ok else "sql") or "sql"
    if mode == "ask" and not agent_ok:
        st.info(why, icon=ICONS["llm"])
    elif not agent_ok:
        st.caption(f"{ICONS['llm']} SQL mode: queries run as written. {why}")
    sidebar_history(owner)
    focus = state.find_entry(owner, state.get(owner, "focus"))
    if focus is not None:
        reopened(ws, focus)
    else:
        conversation(ws, name, records)
    if mode == "ask" and agent_ok:
        sent = next((e.tables for e in reversed(state.history(owner))
                     if e.connection == name and e.mode == "ask"), ())
        agent_tables.controls(ws, next(r for r in records if r.name == name), sent)
    if not ws.principal.can("query"):  # the core refuses too; no input to offer
        st.info(f"As a {ws.principal.role} of this space you can open results but not run "
                "ad-hoc SQL or ask questions. Ask an admin for the editor role.",
                icon=":material/visibility:")
        return
    placeholder = ("Ask a question about your data…" if mode == "ask" and agent_ok
                   else f"Write a SQL query for {name} (Shift+Enter for a new line)…")
    prompt = st.chat_input(placeholder, key="ask:prompt")
    if prompt:
        state.put(owner, "focus", None)
        if mode == "ask" and agent_ok:
            ask_question(ws, name, prompt)
        else:
            run_sql(ws, name, prompt)
        st.rerun()


# ---- running --------------------------------------------------------------------------------
def run_sql(ws: Workspace, name: str, sql: str, *, question: str | None = None) -> Entry:
    """Direct SQL through the guarded runner; a refusal or error becomes the entry's error."""
    try:
        result = ws.run_sql(name, sql, question=question)
    except Exception as exc:  # shown in the chat, never as a traceback
        error = widgets.as_error(exc)
        error["sql"] = error.get("sql") or sql
        return state.add_entry(ws.owner, mode="sql", connection=name, sql=sql,
                               question=question, error=error)
    return state.add_entry(ws.owner, mode="sql", connection=name, sql=result.sql,
                           question=question, result=result)


def agent_status(config: Settings) -> tuple[bool, str]:
    """Whether plain-English questions can be answered here, and if not, what to do."""
    if not config.llm_configured:
        return False, ("Plain-English questions need an LLM. Set `OPENAI_API_KEY` (plus "
                       "`OLYMPUS_MODEL` / `OPENAI_BASE_URL` for Azure, Ollama or vLLM) in "
                       "`.streamlit/secrets.toml` or the environment and restart. Until then, "
                       "SQL mode works fully.")
    try:
        from olympus import agent
    except Exception:
        return False, "The text-to-SQL agent could not be loaded; SQL mode still works."
    if not callable(getattr(agent, "ask", None)):
        return False, ("The text-to-SQL agent is not part of this build yet. SQL mode works "
                       "fully.")
    return True, ""


def ask_question(ws: Workspace, name: str, question: str) -> Entry:
    """Hand the question to olympus.agent.ask; keep whatever it returns as one chat entry."""
    from olympus import agent

    past = [{"question": e.question, "sql": e.sql, "ok": e.ok, "answer": e.answer}
            for e in state.history(ws.owner) if e.connection == name][-6:]
    pinned, dropped = agent_tables.choices(ws.owner, name)
    try:
        with st.spinner("Thinking…"):
            out = agent.ask(ws, name, question, history=past, pinned=pinned, dropped=dropped)
    except Exception as exc:
        return state.add_entry(ws.owner, mode="ask", connection=name, sql="",
                               question=question, error=widgets.as_error(exc))
    error = getattr(out, "error", None)
    return state.add_entry(
        ws.owner, mode="ask", connection=name, sql=getattr(out, "sql", "") or "",
        question=question, result=getattr(out, "result", None),
        error=widgets.as_error(error) if error is not None else None,
        chart=getattr(out, "chart", None), answer=getattr(out, "answer", None),
        tables=tuple(getattr(out, "tables", ()) or ()))


# ---- showing --------------------------------------------------------------------------------
def conversation(ws: Workspace, name: str, records: list) -> None:
    entries = state.history(ws.owner)
    if not entries:
        empty_state(ws, name, records)
    for entry in entries:
        show_entry(ws, entry)


def empty_state(ws: Workspace, name: str, records: list) -> None:
    record = next((r for r in records if r.name == name), None)
    demo = record is not None and ws.is_demo(record)
    with st.container(border=True):
        st.markdown("**Start with a query.** Type SQL below, or try one of these:" if demo
                    else "**Start with a query.** Type SQL in the box below; results come back "
                         "as a table and a chart.")
        if demo and ws.principal.can("query"):
            with st.container(horizontal=True):
                for label, sql in EXAMPLES.items():
                    if st.button(label, icon=ICONS["run"], key=f"example:{label}"):
                        run_sql(ws, name, sql)
                        st.rerun()


def show_entry(ws: Workspace, entry: Entry) -> None:
    with st.chat_message("user", avatar=":material/person:"):
        if entry.question:
            st.markdown(md_text(entry.question))
        else:
            st.code(entry.sql, language="sql", wrap_lines=True)
    with st.chat_message("assistant", avatar=":material/insights:"):
        source = "AI" if entry.mode == "ask" else "SQL"
        with st.container(horizontal=True):
            st.badge(f"{source} · {badge_text(entry.connection)}", icon=ICONS["sql"],
                     color="violet")
            st.caption(entry.created_at.astimezone().strftime("%H:%M:%S"))
        if entry.answer:  # model text: no images, HTML or links leaving the app
            st.markdown(safe_answer_markdown(entry.answer))
        if entry.tables:
            st.caption("Tables sent to the LLM: " + ", ".join(md_code(t) for t in entry.tables))
        if entry.question and entry.sql:
            st.code(entry.sql, language="sql")
        if entry.error is not None:
            widgets.error_box(entry.error)
        elif entry.result is not None:
            results.result_view(entry.result, key=f"e{entry.id}", spec=entry.chart,
                                name=entry.question or f"{entry.connection}_query_{entry.id}")
        else:
            st.caption("This older result was dropped to save memory; run it again to see it.")
        edit_and_rerun(ws, entry)


def edit_and_rerun(ws: Workspace, entry: Entry) -> None:
    if not entry.sql or not ws.principal.can("query"):
        return
    with st.expander("Edit SQL and run again", icon=ICONS["edit"]):
        sql = st.text_area("SQL", value=entry.sql, key=f"e{entry.id}:sql", height=160,
                           label_visibility="collapsed")
        if st.button("Run", icon=ICONS["run"], type="primary", key=f"e{entry.id}:run"):
            state.put(ws.owner, "focus", None)
            run_sql(ws, entry.connection, sql, question=None)
            st.rerun()


def reopened(ws: Workspace, entry: Entry) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"{ICONS['history']} Re-opened query **#{entry.id}**")
        if st.button("Back to the conversation", icon=":material/arrow_back:", key="ask:back"):
            state.put(ws.owner, "focus", None)
            st.rerun()
    show_entry(ws, entry)


def sidebar_history(owner: str) -> None:
    entries = state.history(owner)
    with st.sidebar:
        st.markdown(f"**{ICONS['history']} This session**")
        if not entries:
            st.caption("Your questions and queries appear here.")
        for entry in reversed(entries):
            icon = ICONS["ok"] if entry.ok else ICONS["failed"]
            st.button(md_text(entry.label), key=f"hist:{entry.id}", icon=icon, type="tertiary",
                      on_click=state.put, args=(owner, "focus", entry.id),
                      help=f"{md_text(entry.connection)} · {entry.created_at:%H:%M:%S}")
