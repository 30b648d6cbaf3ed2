"""Verified queries and lineage in the UI: the lineage line, thumbs-up "Save as verified" and
Explain under an Ask result; "Used by" on the Schema page; the admin review page."""

from __future__ import annotations

import streamlit as st

from olympus.ui import resources, widgets
from olympus.ui.safe_text import md_code, md_text
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

SAVED = "verified:saved"  # session key: ids of entries already saved (the button turns into a note)


# ---- under an Ask result ----------------------------------------------------------------------
def result_extras(ws: Workspace, entry) -> None:
    """Lineage line, then 'Save as verified' (a question's answer) and 'Explain'."""
    reads = getattr(entry.result, "reads", ()) if entry.ok else ()
    if reads:
        from olympus.semantic.lineage import Lineage

        st.caption(md_text(Lineage(columns=tuple(reads)).summary()), help=", ".join(reads))
    if entry.ok and entry.question and entry.sql:
        save_button(ws, entry)
    if entry.sql:
        explain_box(ws, entry.sql, connection=entry.connection, key=f"e{entry.id}")


def save_button(ws: Workspace, entry) -> None:
    saved = st.session_state.setdefault(SAVED, {})
    if entry.id in saved:
        st.caption(f"{ICONS['verified']} Saved as a verified query: similar questions get it as "
                   "an example.")
        return
    if not ws.principal.can("save"):
        return
    if st.button("Save as verified", key=f"e{entry.id}:verify", icon=":material/thumb_up:",
                 type="tertiary", help="Good answer: keep this question and its SQL as an "
                 "example the agent follows for similar questions."):
        try:
            saved[entry.id] = ws.save_verified(entry.connection, entry.question, entry.sql).id
        except Exception as exc:
            widgets.error_box(exc)
            return
        st.rerun()


def explain_box(ws: Workspace, sql: str, *, connection: str | None, key: str) -> None:
    """The parse-tree outline; with an LLM configured, a button for a fuller explanation. Built
    only once opened (every result on the Ask page costs each later rerun in the browser)."""
    with st.expander("Explain this SQL", icon=":material/lightbulb:", key=f"{key}:explain-open",
                     on_change="rerun") as box:
        if not box.open:
            return
        try:
            got = ws.explain_sql(sql, name=connection)
        except Exception as exc:
            widgets.error_box(exc)
            return
        for line in got.outline:
            st.text(line)  # names and values from the SQL: text, never markdown
        if not ws.settings.openai_api_key:
            return
        if st.button("Explain in more detail", key=f"{key}:explain", icon=ICONS["llm"]):
            with st.spinner("Asking the model…"):
                fuller = ws.explain_sql(sql, name=connection, use_llm=True)
            if fuller.error:
                st.warning(md_text(fuller.error))
            elif fuller.text:
                st.text(fuller.text)


# ---- the Schema page ----------------------------------------------------------------------------
def used_by_panel(ws: Workspace, connection: str, table) -> None:
    """What reads this table (or one column): the impact of changing it, before it's made.
    Looked up on request (it reads notebooks and the query log); built only once opened."""
    with st.expander("Used by", icon=":material/account_tree:", key="schema:usedby-open",
                     on_change="rerun") as box:
        if not box.open:
            return
        key = f"usedby:{connection}:{table.qualified_name}"
        whole = "(the whole table)"
        column = st.selectbox("Column", [whole, *(c.name for c in table.columns)], key=key)
        if not st.button("Find what uses it", key=f"{key}:go", icon=":material/search:"):
            st.caption("Verified queries, saved notebooks and recent queries that read it.")
            return
        try:
            found = ws.used_by(connection, table.qualified_name,
                               None if column == whole else column)
        except Exception as exc:
            widgets.error_box(exc)
            return
        show_uses(found)


def show_uses(found) -> None:
    if found.empty:
        st.caption("No verified query, saved notebook or recent query reads it.")
        return
    for query in found.verified:
        flag = " (stale)" if query.stale else ""
        st.markdown(f"{ICONS['verified']} Verified{flag}: {md_text(query.question)}")
    for use in found.notebooks:
        st.markdown(f":material/book: Notebook {md_code(use.notebook)}, cell {md_code(use.cell)}")
    for entry in found.recent:
        st.markdown(f"{ICONS['history']} Recent query, {entry.created_at:%Y-%m-%d %H:%M} "
                    f"by {md_text(entry.user or '?')}: "
                    f"{md_code(' '.join(entry.sql.split())[:120])}")


# ---- the review page (admins) ---------------------------------------------------------------------
def render() -> None:
    ws = resources.workspace()
    widgets.header("Verified queries", ICONS["verified"],
                   "Questions with SQL people vouched for; the agent follows similar ones. A "
                   "schema refresh marks one stale when a table or column it reads is gone.")
    try:
        queries = ws.verified_queries()
    except Exception as exc:
        widgets.error_box(exc)
        return
    if not queries:
        st.info("No verified queries yet. Give an answer on the Ask page a thumbs-up "
                "(Save as verified) to add one.")
        return
    only_stale = st.toggle("Only stale ones", key="verified:stale")
    names = {r.id: r.name for r in ws.connections()}
    for query in queries:
        if only_stale and not query.stale:
            continue
        review_card(ws, query, names.get(query.connection_id, "?"))


def review_card(ws: Workspace, query, connection: str) -> None:
    with st.container(border=True, key=f"verified-{query.id}"):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{md_text(query.question)}**")
            if query.stale:
                st.badge("Stale", icon=":material/warning:", color="orange")
        st.caption(f"{md_text(connection)} · saved by {md_text(query.created_by or '?')} "
                   f"{query.created_at:%Y-%m-%d}")
        if query.stale and query.stale_reason:
            st.text(query.stale_reason)
        st.code(query.sql, language="sql", wrap_lines=True)
        if not ws.principal.can("manage"):
            return
        with st.container(horizontal=True):
            if query.stale and st.button("Still correct", key=f"v{query.id}:ok",
                                         icon=ICONS["ok"]):
                act(lambda: ws.approve_verified(query.id))
            if st.button("Delete", key=f"v{query.id}:del", icon=ICONS["delete"]):
                act(lambda: ws.delete_verified(query.id))


def act(do) -> None:
    try:
        do()
    except Exception as exc:
        widgets.error_box(exc)
        return
    st.rerun()
