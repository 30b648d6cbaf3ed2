"""The cell being edited: its name, connection, question or note text, the SQL editor (the Ask
page's component: highlighting, completion, Ctrl/Cmd+Enter runs, Format) and its result with
every chart control. Each change autosaves the notebook (no version)."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from olympus.notebooks import model
from olympus.notebooks.model import Cell, Notebook
from olympus.ui import editor, notebook_result, state, widgets

Save = Callable[[Notebook], None]


def edit_panel(ws, nb: Notebook, cell: Cell, *, save: Save, run: Any) -> None:
    key = f"nbe:{cell.id}"
    changes: dict[str, Any] = {}
    left, right = st.columns([1, 1])
    name = left.text_input("Cell name (later cells read it as {{name}})", value=cell.name,
                           key=f"{key}:name")
    if name.strip() != cell.name:
        changes["name"] = name.strip()
    if cell.kind != "note":
        records = ws.connections()
        names = [r.name for r in records]
        picked = widgets.connection_picker(records, cell.connection, key=f"{key}:conn")
        if picked and picked != cell.connection:
            changes["connection"] = picked
        if not names:
            right.caption("No connections yet.")
    if cell.kind == "note":
        text = st.text_area("Note (markdown)", value=cell.markdown, key=f"{key}:md", height=160)
        if text != cell.markdown:
            changes["markdown"] = text
    if cell.kind == "question":
        text = st.text_area("Question in plain English", value=cell.question, key=f"{key}:q",
                            height=80, help="Running the cell asks the agent for SQL once; the "
                                            "SQL is kept below, where you can edit it. A new "
                                            "question clears it, so the next run asks again.")
        if text != cell.question:
            changes.update(question=text, sql="")
            state.put(ws.owner, f"nbe:nonce:{cell.id}",
                      state.get(ws.owner, f"nbe:nonce:{cell.id}", 0) + 1)  # editor redrawn
    if changes:
        _apply(nb, cell, changes, save)
    if cell.kind != "note":
        sql_area(ws, nb, cell, save=save)
        notebook_result.show(cell, run, key=f"nbf:{cell.id}", full=True, notebook=nb)
        keep_view(nb, cell, run, save=save)


def _apply(nb: Notebook, cell: Cell, changes: dict, save: Save) -> None:
    changed, _ = widgets.guarded(lambda: model.update_cell(nb, cell.id, **changes))
    if changed is not None:
        save(changed)


def sql_area(ws, nb: Notebook, cell: Cell, *, save: Save) -> None:
    """The SQL editor: typing autosaves, Run (Ctrl/Cmd+Enter) saves and runs, Format formats."""
    dialect = _dialect(ws, cell)
    nonce = state.get(ws.owner, f"nbe:nonce:{cell.id}", 0)
    st.caption(":material/code: SQL · `{{cell_name}}` reads an earlier cell, `{{param}}` a "
               "parameter (bound, never pasted) · Ctrl/Cmd+Enter runs")
    event = editor.sql_editor(cell.sql, key=f"nbe:sql:{cell.id}:{nonce}",
                              items=_items(ws, cell, dialect), height=(6, 18),
                              placeholder="SELECT … FROM {{earlier_cell}}")
    if event is None:
        return
    text = event.text
    if event.kind == "format":
        formatted, problem = editor.format_sql(text, dialect)
        if problem:
            st.warning(problem, icon=":material/info:")
        text = formatted
        state.put(ws.owner, f"nbe:nonce:{cell.id}", nonce + 1)
    if event.kind == "submit":
        state.put(ws.owner, "nb:run_now", cell.id)
    if text != cell.sql:
        _apply(nb, cell, {"sql": text}, save)  # saved: the rerun runs it
    if event.kind != "change":
        st.rerun()


def _dialect(ws, cell: Cell) -> str:
    try:
        return ws.connector_class(cell.connection).dialect if cell.connection else ""
    except Exception:
        return ""


def _items(ws, cell: Cell, dialect: str) -> tuple[dict, ...]:
    """Tables, columns and keywords from the cached catalog (the Ask page's helper)."""
    from olympus.ui.ask import completion_items

    try:
        record = ws.get(cell.connection)
    except Exception:
        return editor.completions(None, dialect)
    return completion_items(ws, record, dialect)


def keep_view(nb: Notebook, cell: Cell, run: Any, *, save: Save) -> None:
    """Keep the chart picked above (or the table, or one value) as this cell's view."""
    if run is None or run.result is None or not run.result.row_count:
        return
    key = f"nbf:{cell.id}"
    with st.container(horizontal=True):
        if st.button("Keep this view", key=f"{key}:keep", icon=":material/push_pin:",
                     help="The chart type and axes picked above become the cell's view"):
            view = notebook_result.chosen_view(key)
            if view is not None:
                _apply(nb, cell, {"view": view}, save)
        if st.button("Show as one value", key=f"{key}:value", icon=":material/looks_one:"):
            _apply(nb, cell, {"view": {"kind": "value", "chart": None}}, save)
        current = {"table": "Table", "chart": "Chart", "value": "One value"}[cell.view.kind]
        st.caption(f"Shown as: {current}")
