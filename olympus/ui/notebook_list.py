"""The space's notebooks: open one (one click), create, rename, delete."""

from __future__ import annotations

import streamlit as st

from olympus.notebooks.model import Notebook
from olympus.ui import widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS


def open_notebook(name: str | None, cell: str | None = None) -> None:
    """The page's state lives in the URL: a reload or a shared link opens the same notebook."""
    st.query_params.pop("cell", None)
    st.query_params.pop("present", None)
    if name is None:
        st.query_params.pop("notebook", None)
    else:
        st.query_params["notebook"] = name
        if cell:
            st.query_params["cell"] = cell


def render(ws) -> None:
    """Every notebook of the space, newest edit first; editors also create, rename, delete."""
    found, err = widgets.guarded(ws.notebooks)
    if err is not None:
        return
    can_edit = ws.principal.can("save")
    if can_edit:
        create_form(ws)
    if not found:
        st.info("No notebooks yet." + (" Create one above." if can_edit else ""),
                icon=":material/menu_book:")
        return
    for nb in sorted(found, key=lambda n: n.updated_at or 0, reverse=True):
        row(ws, nb, can_edit=can_edit)


def create_form(ws) -> None:
    with st.form("nb:create", clear_on_submit=True, border=False):
        with st.container(horizontal=True, vertical_alignment="bottom"):
            name = st.text_input("New notebook", placeholder="Quarterly review",
                                 key="nb:new_name")
            made = st.form_submit_button("Create", icon=ICONS["add"], type="primary")
    if made:
        created, _ = widgets.guarded(lambda: ws.create_notebook(name))
        if created is not None:
            open_notebook(created.name)
            st.rerun()


def row(ws, nb: Notebook, *, can_edit: bool) -> None:
    with st.container(border=True, key=f"nb-row-{nb.id}"):
        with st.container(horizontal=True, vertical_alignment="center"):
            if st.button(md_text(nb.name), key=f"nb:open:{nb.id}", icon=":material/menu_book:",
                         type="tertiary"):
                open_notebook(nb.name)
                st.rerun()
            cells = len(nb.cells)
            st.caption(f"{cells} cell{'s' if cells != 1 else ''} · edited "
                       f"{widgets.ago(nb.updated_at)}"
                       + (f" by {md_text(nb.updated_by)}" if nb.updated_by else ""))
            if can_edit:
                manage(ws, nb)


def manage(ws, nb: Notebook) -> None:
    with st.popover("Rename or delete", icon=ICONS["edit"]):
        new = st.text_input("New name", value=nb.name, key=f"nb:rename:{nb.id}")
        if st.button("Rename", key=f"nb:rename_go:{nb.id}"):
            done, _ = widgets.guarded(lambda: ws.rename_notebook(nb.id, new))
            if done is not None:
                st.rerun()
        st.divider()
        sure = st.checkbox("Yes, delete this notebook and its versions",
                           key=f"nb:delete_sure:{nb.id}")
        if st.button("Delete", key=f"nb:delete:{nb.id}", icon=ICONS["delete"], disabled=not sure):
            done, _ = widgets.guarded(lambda: ws.delete_notebook(nb.id))
            if done is not None:
                st.rerun()
