"""The cost preview before a SQL run: above the connection's thresholds the page asks first
("This will scan ~2.3 TB (~$11). Run anyway?"); hints from the plan show under the editor."""

from __future__ import annotations

import streamlit as st

from olympus.connectors.worker import EngineCrashed
from olympus.errors import OlympusError
from olympus.ui import state
from olympus.ui.widgets import md_text

CONFIRM, CONFIRMED, HINTS = "preview:confirm", "preview:confirmed", "preview:hints"


def should_wait(ws, name: str, sql: str) -> bool:
    """True when this SQL needs a yes first (the question is kept for `confirm_box`). An
    estimate that fails never blocks: the run itself reports what is wrong."""
    if state.pop(ws.owner, CONFIRMED) == (name, sql):
        return False
    try:
        preview = ws.preview(name, sql)
    except EngineCrashed as exc:  # the engine died planning it: that is this query's answer
        state.pop(ws.owner, HINTS)
        crashed(ws, name, sql, exc)
        return True
    except OlympusError:
        state.pop(ws.owner, HINTS)
        return False
    state.put(ws.owner, HINTS, (name, sql, preview.summary, preview.hints))
    if preview.confirm is None:
        return False
    state.put(ws.owner, CONFIRM, (name, sql, preview.confirm))
    return True


def crashed(ws, name: str, sql: str, exc: EngineCrashed) -> None:
    """The crash as the query's result (logged and audited like a failed run); the engine was
    restarted, so running it again works if the crash was not the query's own doing."""
    import contextlib

    entry = state.add_entry(ws.owner, mode="sql", connection=name, sql=sql,
                            error=exc.to_dict())
    state.put(ws.owner, "scroll", f"entry-{entry.id}")
    with contextlib.suppress(OlympusError):  # the log is evidence, never a second failure
        ws.log_event(name, question=None, status="error", sql=sql, source="sql",
                     error=f"{exc.title}: {exc.message}")


def confirm_box(ws, name: str, run) -> None:
    """The pending question with Run anyway / Cancel; `run(sql)` starts the confirmed query."""
    pending = state.get(ws.owner, CONFIRM)
    if pending is None or pending[0] != name:
        return
    _, sql, question = pending
    with st.container(border=True, key="preview-confirm"):
        st.warning(md_text(question), icon=":material/savings:")
        st.code(sql, language="sql")
        left, right = st.columns(2)
        if left.button("Run anyway", key="preview:run", type="primary"):
            state.pop(ws.owner, CONFIRM)
            state.put(ws.owner, CONFIRMED, (name, sql))
            run(sql)
            st.rerun()
        if right.button("Cancel", key="preview:cancel"):
            state.pop(ws.owner, CONFIRM)
            st.rerun()


def hints_box(ws, name: str) -> None:
    """What the estimate said about the latest SQL run on this connection, and its hints."""
    shown = state.get(ws.owner, HINTS)
    if shown is None or shown[0] != name or not shown[3]:
        return
    _, _, summary, hints = shown
    with st.expander(f"{len(hints)} hint{'s' if len(hints) > 1 else ''} about this query",
                     icon=":material/tips_and_updates:"):
        st.caption(md_text(summary))
        for hint in hints:
            st.markdown(f"- {md_text(hint.saw)} {md_text(hint.suggestion)}")
