"""Notebook cells on the page: each cell's header (name, kind, connection, stale badge), its
toolbar (run, edit, move, duplicate, delete, collapse, save as verified), its text and result.
Every name, note, question, SQL and value is untrusted: text, code blocks or escaped markdown."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from olympus.notebooks import model
from olympus.notebooks.model import Cell, Notebook
from olympus.ui import notebook_result, widgets
from olympus.ui import notebook_state as nstate
from olympus.ui.safe_text import md_text, safe_answer_markdown
from olympus.ui.widgets import ICONS

KIND_ICONS = {"sql": ":material/code:", "question": ":material/forum:",
              "note": ":material/notes:"}
KIND_LABELS = {"sql": "SQL", "question": "Question", "note": "Note"}
STALE = {"stale": ("Stale", "orange", ":material/sync_problem:"),
         "failed": ("Failed", "red", ":material/error:"),
         "never_run": ("Not run", "gray", ":material/radio_button_unchecked:"),
         "fresh": ("Fresh", "green", ":material/check_circle:")}

Save = Callable[[Notebook], None]


def note_markdown(text: str) -> str:
    """A member's note: emphasis, lists, headings and code kept; HTML, images and links (even
    relative ones) shown as text, so a note can't fetch or point anywhere."""
    return safe_answer_markdown(text, links=False)


def cell_view(ws, nb: Notebook, cell: Cell, i: int, *, status: str | None, run: Any,
              save: Save, actions: dict[str, Callable], can_edit: bool, can_run: bool) -> None:
    """One cell in the editing view."""
    with st.container(border=True, key=f"nb-cell-{cell.id}"):
        header(cell, status, present=False)
        if can_edit or can_run:
            toolbar(ws, nb, cell, i, save=save, actions=actions, can_edit=can_edit,
                    can_run=can_run)
        editing = can_edit and nstate.editing(ws.owner) == cell.id
        if cell.collapsed and not editing:
            return
        if editing:
            from olympus.ui.notebook_edit import edit_panel

            edit_panel(ws, nb, cell, save=save, run=run)
            return
        body(cell)
        if cell.kind != "note":
            notebook_result.show(cell, run, key=f"nbr:{cell.id}", notebook=nb,
                                 refresh=actions["refresh"](cell) if can_run else None)


def present_view(cell: Cell, run: Any) -> None:
    """Results, charts and notes only: no code, no editors, no buttons."""
    if cell.collapsed:
        return
    if cell.kind == "note":
        st.markdown(note_markdown(cell.markdown))
        return
    with st.container(key=f"nb-present-{cell.id}"):
        st.markdown(f"**{md_text(cell.name)}**" if cell.kind == "sql"
                    else f"**{md_text(cell.question or cell.name)}**")
        notebook_result.show(cell, run, key=f"nbp:{cell.id}", present=True)


def header(cell: Cell, status: str | None, *, present: bool) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"{KIND_ICONS[cell.kind]} **{md_text(cell.name)}**")
        st.caption(KIND_LABELS[cell.kind] + (f" · {md_text(cell.connection)}"
                                             if cell.connection and cell.kind != "note" else ""))
        if status in STALE:
            label, color, icon = STALE[status]
            st.badge(label, color=color, icon=icon)
        if cell.collapsed:
            st.caption("collapsed")


def body(cell: Cell) -> None:
    if cell.kind == "note":
        st.markdown(note_markdown(cell.markdown) or "*Empty note*")
        return
    if cell.kind == "question":
        st.markdown(f":material/forum: {md_text(cell.question or 'No question yet')}")
    if cell.sql.strip():
        st.code(cell.sql, language="sql")
    elif cell.kind == "sql":
        st.caption("No SQL yet: edit the cell to write it.")


def toolbar(ws, nb: Notebook, cell: Cell, i: int, *, save: Save, actions: dict,
            can_edit: bool, can_run: bool) -> None:
    key = f"nb:{cell.id}"
    with st.container(horizontal=True, key=f"nb-tools-{cell.id}", gap="small"):
        if can_run and cell.kind != "note" and st.button(
                "Run", key=f"{key}:run", icon=ICONS["run"], type="primary"):
            actions["run"](cell)
        if not can_edit:
            return
        editing = nstate.editing(ws.owner) == cell.id
        if st.button("Done" if editing else "Edit", key=f"{key}:edit",
                     icon=":material/check:" if editing else ICONS["edit"]):
            nstate.edit(ws.owner, None if editing else cell.id)
            st.rerun()
        inline = [("Up", ":material/arrow_upward:", i > 0,
                   lambda: model.move_cell(nb, cell.id, i - 1)),
                  ("Down", ":material/arrow_downward:", i < len(nb.cells) - 1,
                   lambda: model.move_cell(nb, cell.id, i + 1)),
                  ("Expand" if cell.collapsed else "Collapse",
                   ":material/unfold_more:" if cell.collapsed else ":material/unfold_less:", True,
                   lambda: model.collapse_cell(nb, cell.id, not cell.collapsed))]
        _buttons(inline, key, save)
        with st.popover("More", icon=":material/more_horiz:", type="tertiary",
                        key=f"nb-more-{cell.id}"):
            _buttons([("Duplicate", ":material/content_copy:", True,
                       lambda: model.duplicate_cell(nb, cell.id)),
                      ("Delete", ICONS["delete"], True, lambda: model.delete_cell(nb, cell.id))],
                     key, save)
            if cell.kind != "note" and cell.sql.strip() and st.button(
                    "Save as verified", key=f"{key}:verify", icon=ICONS["verified"],
                    type="tertiary", help="Keep this question and SQL as a verified example"):
                verify(ws, nb, cell)


def _buttons(buttons: list, key: str, save: Save) -> None:
    for label, icon, enabled, change in buttons:
        if enabled and st.button(label, key=f"{key}:{label.lower()}", icon=icon,
                                 type="tertiary"):
            changed, _ = widgets.guarded(change)
            if changed is not None:
                save(changed)


def verify(ws, nb: Notebook, cell: Cell) -> None:
    """The cell's question (or its name) and its standalone SQL (earlier cells it reads
    compiled in as CTEs) as a verified query of its connection."""
    question = cell.question.strip() or cell.name.replace("_", " ")
    done, _ = widgets.guarded(lambda: ws.save_verified(
        cell.connection, question, standalone_sql(ws, nb, cell), source="notebook"))
    if done is not None:
        st.toast(f"Saved as verified: {md_text(question)}", icon=ICONS["verified"])


def standalone_sql(ws, nb: Notebook, cell: Cell) -> str:
    """The SQL that runs for this cell; one reading a parameter has no single text to keep."""
    from olympus.errors import ConfigError
    from olympus.notebooks.run import compile_at, resolve_values

    compiled = compile_at(ws, nb, nb.cells.index(cell), resolve_values(nb, None))
    if compiled.params:
        raise ConfigError(f"Cell {cell.name!r} reads notebook parameters, so it has no single "
                          "query to keep as verified.", title="Uses parameters",
                          suggestion="Save a cell whose SQL has no {{parameter}}.")
    return compiled.sql


def add_bar(ws, nb: Notebook, records: list, *, save: Save, connection: str | None) -> None:
    """Add a cell of each kind at the end (on the connection used last)."""
    with st.container(horizontal=True, key="nb-add"):
        for kind in ("sql", "question", "note"):
            if st.button(f"{KIND_LABELS[kind]} cell", key=f"nb:add:{kind}", icon=ICONS["add"]):
                values: dict[str, Any] = {} if kind == "note" else {"connection": connection}
                cell = model.new_cell(kind, name=model.free_name(nb, kind if kind != "sql"
                                                                 else "query"), **values)
                changed, _ = widgets.guarded(lambda: model.add_cell(nb, cell))
                if changed is not None:
                    nstate.edit(ws.owner, cell.id)
                    save(changed)


def status_line(stale: dict[str, str]) -> None:
    counts: dict[str, int] = {}
    for value in stale.values():
        counts[value] = counts.get(value, 0) + 1
    if counts:
        st.caption(" · ".join(f"{n} {STALE[k][0].lower()}" for k, n in counts.items()
                              if k in STALE))

