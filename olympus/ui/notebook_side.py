"""Around the notebook: versions (list, SQL diff between two, restore), exports (.sql, HTML
report, .ipynb), the permalink, and the user's history across sessions (search, filters, open
one as a new cell)."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

import streamlit as st

from olympus.notebooks import model
from olympus.notebooks.model import Notebook
from olympus.ui import widgets
from olympus.ui import notebook_state as nstate
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS

REASONS = {"save": "Saved", "run_all": "Run all", "restore": "Restored"}
STATUSES = (None, "ok", "error", "refused", "cancelled")


def versions(ws, nb: Notebook, *, can_edit: bool) -> None:
    with st.expander("Versions", icon=ICONS["history"]):
        found, _ = widgets.guarded(lambda: ws.notebook_versions(nb.id))
        if not found:
            st.caption("No versions yet: Save (or Run all) makes one.")
            return
        labels = {v.number: f"v{v.number} · {REASONS.get(v.reason, v.reason)} · "
                            f"{widgets.ago(v.created_at)} · {v.created_by or 'local'}"
                  for v in found}
        numbers = list(labels)
        st.dataframe([{"version": f"v{v.number}", "what": REASONS.get(v.reason, v.reason),
                       "when": v.created_at.strftime("%Y-%m-%d %H:%M"),
                       "by": v.created_by or "local"} for v in found],
                     hide_index=True, height=min(38 + 35 * len(found), 220), key="nb:versions")
        cols = st.columns(2)
        old = cols[0].selectbox("From", numbers, index=min(1, len(numbers) - 1),
                                format_func=labels.get, key=f"nb:{nb.id}:diff_a")
        new = cols[1].selectbox("To", [None, *numbers], format_func=lambda n: (
            "Current document" if n is None else labels[n]), key=f"nb:{nb.id}:diff_b")
        diff, _ = widgets.guarded(lambda: ws.notebook_diff(nb.id, old, new))
        if diff is not None:
            st.code(diff.text or "-- no change", language="diff")
        if can_edit and st.button(f"Restore v{old}", key="nb:restore", icon=":material/restore:",
                                  help="Makes that version the current notebook again, as a "
                                       "new version (nothing is lost)"):
            restored, _ = widgets.guarded(lambda: ws.restore_notebook(nb.id, old))
            if restored is not None:
                nstate.reset_edits(ws.owner)
                st.toast(f"Restored v{old}", icon=":material/restore:")
                st.rerun()


def exports(ws, nb: Notebook, chosen: dict[str, Any]) -> None:
    """Download buttons; each file is made only when clicked (the HTML and .ipynb run the
    cells, from the result cache when fresh)."""
    with st.container(horizontal=True, key="nb-exports"):
        for to, label in (("sql", ".sql"), ("html", "HTML report"), ("ipynb", ".ipynb")):
            st.download_button(label, data=_maker(ws, nb, to, chosen),
                               file_name=f"{_slug(nb.name)}.{to}", icon=ICONS["download"],
                               key=f"nb:export:{to}", on_click="ignore", type="tertiary")


def _maker(ws, nb: Notebook, to: str, chosen: dict[str, Any]) -> Callable[[], bytes]:
    def make() -> bytes:
        return ws.export_notebook(nb.id, to, values=chosen or None).data

    return make


def _slug(name: str) -> str:
    from olympus.notebooks.export import slug

    return slug(name)


def link(nb: Notebook, *, cell: str | None = None, present: bool = False) -> str:
    """The permalink: the page with ?notebook=NAME(&cell=NAME)(&present=1)(&space=...)."""
    query = {"notebook": nb.name}
    if cell:
        query["cell"] = cell
    if present:
        query["present"] = "1"
    space = st.query_params.get("space")
    if space:
        query["space"] = space
    base = _base_url()
    return f"{base}/Notebooks?{urlencode(query)}"


def _base_url() -> str:
    try:
        url = st.context.url or ""
    except Exception:
        url = ""
    return url.split("?", 1)[0].rsplit("/", 1)[0] if url.count("/") > 2 else url.rstrip("/")


def copy_link(nb: Notebook, cells: list[str]) -> None:
    with st.popover("Copy link", icon=ICONS["link"]):
        cell = st.selectbox("Link to", [None, *cells], key="nb:link_cell",
                            format_func=lambda c: "The whole notebook" if c is None else c)
        present = st.toggle("Open in the present view", key="nb:link_present")
        st.code(link(nb, cell=cell, present=present), language=None)
        st.caption("Members of this space open it after signing in; others are refused.")


# ---- history ---------------------------------------------------------------------------------
def history(ws, nb: Notebook, *, save: Callable[[Notebook], None], can_edit: bool) -> None:
    """The user's own past queries and questions, newest first; one opens as a new cell."""
    with st.expander("History", icon=ICONS["history"]):
        search = st.text_input("Search", key="nb:hist:q", placeholder="loans, month …")
        cols = st.columns(2)
        names = [None, *[r.name for r in ws.connections()]]
        conn = cols[0].selectbox("Connection", names, key="nb:hist:conn",
                                 format_func=lambda n: "Any" if n is None else n)
        status = cols[1].selectbox("Status", STATUSES, key="nb:hist:status",
                                   format_func=lambda s: "Any" if s is None else s)
        found, _ = widgets.guarded(lambda: ws.history(search=search or None, connection=conn,
                                                      status=status, limit=30))
        if not found:
            st.caption("Nothing yet: queries and questions you run show here, across sessions.")
            return
        for entry in found:
            _history_row(ws, nb, entry, save=save, can_edit=can_edit)


def _history_row(ws, nb: Notebook, entry, *, save, can_edit: bool) -> None:
    with st.container(border=True, key=f"nb-hist-{entry.id}"):
        icon = ":material/forum:" if entry.question else ":material/code:"
        st.caption(f"{icon} {md_text(entry.connection or 'deleted connection')} · "
                   f"{md_text(entry.status)} · {widgets.ago(entry.at)}")
        if entry.question:
            st.text(entry.question)
        st.code(entry.sql, language="sql")
        if can_edit and st.button("Open as a new cell", key=f"nb:hist:open:{entry.id}",
                                  icon=ICONS["add"]):
            open_as_cell(ws, nb, entry, save=save)


def open_as_cell(ws, nb: Notebook, entry, *, save) -> None:
    kind = "question" if entry.question else "sql"
    cell = model.new_cell(kind, name=model.free_name(nb, "history"),
                          connection=entry.connection, sql=entry.sql or "",
                          question=entry.question or "")
    changed, _ = widgets.guarded(lambda: model.add_cell(nb, cell))
    if changed is not None:
        nstate.edit(ws.owner, cell.id)
        save(changed)
