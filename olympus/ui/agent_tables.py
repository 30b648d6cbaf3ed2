"""Which tables the agent sends to the LLM: shown per answer; pin or drop tables for the next question."""

from __future__ import annotations

import streamlit as st

from olympus.ui import resources
from olympus.ui.safe_text import md_code

PIN, DROP = "Always send (pin)", "Never send (drop)"


def _key(kind: str, owner: str, name: str) -> str:
    return f"agent:{kind}:{owner}:{name}"


def choices(owner: str, name: str) -> tuple[list[str], list[str]]:
    """(pinned, dropped) table keys the user chose for this connection in this session."""
    return (list(st.session_state.get(_key("pin", owner, name)) or []),
            list(st.session_state.get(_key("drop", owner, name)) or []))


def controls(ws, record, last_sent: tuple[str, ...]) -> None:
    """An expander above the chat box: what was sent last time, and pin/drop for the next question."""
    try:
        snap = resources.snapshot(ws, record)
    except Exception:  # no schema yet: the agent will report the real problem when asked
        return
    keys = sorted(t.qualified_name for t in snap.tables)
    label = (f"Tables sent to the LLM: {len(last_sent)} of {len(keys)}" if last_sent
             else f"Tables for the LLM ({len(keys)} in this connection)")
    with st.expander(label, icon=":material/table_chart:"):
        if last_sent:
            st.caption("Last question: " + ", ".join(md_code(t) for t in last_sent))
        st.caption("Only table and column names, types and comments are sent"
                   + ("; this connection also allows a small sample of rows."
                      if record.expose_data_to_llm else "; no row values leave this machine."))
        left, right = st.columns(2)
        with left:
            st.multiselect(PIN, keys, key=_key("pin", ws.owner, record.name),
                           help="Sent with every question, even when it doesn't mention them.")
        with right:
            st.multiselect(DROP, keys, key=_key("drop", ws.owner, record.name),
                           help="Never sent, even when the question seems to need them.")
