"""An admin's exceptions to the guard's function policy, per connection (shown to everyone who
can see the connection; changed by admins only, through Workspace.allow_functions)."""

from __future__ import annotations

import streamlit as st

from olympus.store import ConnectionRecord
from olympus.ui import widgets
from olympus.workspace import Workspace


def allowed_functions(ws: Workspace, record: ConnectionRecord) -> None:
    """The list, and for admins a box to change it."""
    names = ", ".join(record.allowed_functions)
    label = f"Allowed functions ({len(record.allowed_functions)})"
    if not record.allowed_functions and not ws.principal.can("manage"):
        return
    with st.expander(label, icon=":material/function:", key=f"functions_open_{record.id}",
                     on_change="rerun") as box:  # built only when opened: cards stay light
        if not box.open:
            return
        st.caption("Calls the guard refuses because the database can't vouch for them can be "
                   "allowed here, one connection at a time. Deny-listed functions (side effects, "
                   "files, locks) stay refused.")
        if record.allowed_functions:
            st.code(names, language=None)
        if not ws.principal.can("manage"):
            return
        with st.form(f"functions_{record.id}", border=False):
            given = st.text_input("Function names, comma-separated", value=names,
                                  key=f"functions_in_{record.id}")
            if st.form_submit_button("Save allowed functions"):
                _save(ws, record, given)


def _save(ws: Workspace, record: ConnectionRecord, given: str) -> None:
    _, error = widgets.guarded(lambda: ws.allow_functions(
        record.id, [n for n in given.replace("\n", ",").split(",") if n.strip()]))
    if error is None:
        st.rerun()
