"""Schema page: searchable, paged table list; table detail, relationships and a row preview."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from olympus.connectors import connector_class
from olympus.store import ConnectionRecord
from olympus.ui import resources, state, widgets
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

PAGE_SIZE = 50
PREVIEW_ROWS = 50
MAX_NEIGHBOURS = 24
ALL = "All schemas"


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    widgets.header("Schema", ICONS["schema"],
                   "Tables, columns, keys and relationships, read from each database's catalog.")
    records = widgets.connections_or_notice(ws)
    if not records:
        return
    names = [r.name for r in records]
    pick, info, button = st.columns([4, 4, 2], vertical_alignment="bottom")
    with pick:
        name = widgets.connection_picker(
            records, state.selected_connection(ws.owner, names), key="schema:conn")
        state.select_connection(ws.owner, name)
    record = next(r for r in records if r.name == name)
    if button.button("Refresh schema", icon=ICONS["refresh"], key="schema:refresh",
                     width="stretch"):
        refresh(ws, record)
    snap = load(ws, record)
    if snap is None:
        return
    with info:
        st.caption(f":material/schedule: Introspected {_when(snap)}")
    browse(ws, record, snap)


def _when(snap: dict) -> str:
    from datetime import datetime

    raw = snap.get("introspected_at")
    try:
        moment = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return "at an unknown time"
    return f"{widgets.ago(moment)} ({moment.astimezone():%Y-%m-%d %H:%M})"


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def report(message: str, fraction: float) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)
    return bar, report


def refresh(ws: Workspace, record: ConnectionRecord) -> None:
    bar, report = _progress_bar(f"Re-reading the schema of {record.name}…")
    snap, err = widgets.guarded(lambda: ws.schema(record.id, refresh=True, progress=report))
    bar.empty()
    if err is None:
        resources.forget_schema_cache()
        state.put(ws.owner, "schema:flash", f"Schema refreshed: {len(snap['tables']):,} tables.")
        st.rerun()


def load(ws: Workspace, record: ConnectionRecord) -> dict | None:
    """The cached snapshot; the first look at a connection introspects with a progress bar."""
    flash = state.pop(ws.owner, "schema:flash")
    if flash:
        st.success(flash, icon=ICONS["ok"])
    if record.introspected_at:
        snap, err = widgets.guarded(lambda: resources.snapshot(ws, record))
        return snap
    bar, report = _progress_bar(f"Reading the schema of {record.name} for the first time…")
    snap, err = widgets.guarded(lambda: ws.schema(record.id, progress=report))
    bar.empty()
    return snap


# ---- list -----------------------------------------------------------------------------------
def browse(ws: Workspace, record: ConnectionRecord, snap: dict) -> None:
    index = resources.table_index(ws, record, snap)
    schemas = sorted(index["schema"].unique())
    views = int((index["kind"] == "view").sum())
    st.markdown(f"**{len(index):,}** tables and views ({views:,} views) in "
                f"**{len(schemas)}** schema{'s' if len(schemas) != 1 else ''} · "
                f"{int(index['columns'].sum()):,} columns")
    f1, f2, f3 = st.columns([2, 3, 3])
    schema = f1.selectbox("Schema", [ALL, *schemas], key=f"schema:{record.id}:ns")
    text = f2.text_input("Table name", key=f"schema:{record.id}:q",
                         placeholder="Filter tables by name or description")
    column = f3.text_input("Column name", key=f"schema:{record.id}:col",
                           placeholder="Tables that have a column like…")
    found = filter_tables(index, schema=None if schema == ALL else schema, text=text,
                          column=column)
    if found.empty:
        st.info("No table matches these filters.", icon=":material/search_off:")
        return
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    left, right = st.columns([4, 8], gap="medium")
    with left:
        page = 1
        if pages > 1:
            page = st.pagination(pages, key=f"schema:{record.id}:page:{len(found)}")
        shown = found.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        st.caption(f"{len(found):,} match{'es' if len(found) != 1 else ''}"
                   + (f" · page {page} of {pages}" if pages > 1 else ""))
        chosen = table_list(shown, key=f"schema:{record.id}:list", show_schema=len(schemas) > 1)
    with right:
        table = _find(snap, *chosen) if chosen else None
        if table is not None:
            detail(ws, record, snap, table)


def filter_tables(index, *, schema: str | None, text: str, column: str):
    """Vectorised filters over the cached index: fast at thousands of tables."""
    mask = index["table"].notna()
    if schema:
        mask &= index["schema"] == schema
    if text.strip():
        needle = text.strip().lower()
        mask &= (index["table"].str.lower().str.contains(needle, regex=False)
                 | index["description"].str.lower().str.contains(needle, regex=False))
    if column.strip():
        mask &= index["_cols"].str.contains(column.strip().lower(), regex=False)
    return index[mask]


def table_list(shown, *, key: str, show_schema: bool) -> tuple[str, str] | None:
    """A selectable list (click a row, or pick by name); returns (schema, table)."""
    options = [f"{s}.{t}" for s, t in zip(shown["schema"], shown["table"])]
    pick_key = f"{key}:pick"
    if st.session_state.get(pick_key) not in options:
        st.session_state[pick_key] = options[0]

    def on_select() -> None:
        rows = st.session_state[f"{key}:grid"].selection.rows
        if rows:
            st.session_state[pick_key] = options[rows[0]]

    picked = st.selectbox("Open table", options, key=pick_key)
    columns = ["schema"] * show_schema + ["table", "kind", "columns", "rows", "description"]
    st.dataframe(shown[columns],
                 hide_index=True, key=f"{key}:grid", on_select=on_select,
                 selection_mode="single-row", height=min(38 + 35 * len(shown), 560),
                 column_config={
                     "kind": st.column_config.TextColumn(width="small"),
                     "columns": st.column_config.NumberColumn("cols", width="small"),
                     "rows": st.column_config.NumberColumn("rows≈", format="compact",
                                                           width="small"),
                     "description": st.column_config.TextColumn(width="medium")})
    schema, _, name = picked.partition(".")
    return schema, name


def _find(snap: dict, schema: str, name: str) -> dict | None:
    return next((t for t in snap.get("tables", [])
                 if t["schema"] == schema and t["name"] == name), None)


# ---- detail ---------------------------------------------------------------------------------
def detail(ws: Workspace, record: ConnectionRecord, snap: dict, table: dict) -> None:
    kind = table.get("kind") or "table"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"{ICONS.get(kind, ICONS['table'])} {table['schema']}.{table['name']}",
                     anchor=False)
        st.badge(kind, color="blue" if kind == "table" else "orange")
    st.markdown(table.get("description") or "_No description in the catalog._")
    rows = table.get("row_count_estimate")
    facts = [f"**{len(table.get('columns', []))}** columns",
             f"**{'—' if rows is None else f'{rows:,}'}** rows (estimate)",
             f"primary key: `{', '.join(table.get('primary_key') or []) or 'none'}`",
             f"**{len(table.get('foreign_keys') or [])}** foreign keys"]
    st.markdown(" · ".join(facts))
    frame = columns_frame(table)
    st.dataframe(frame, hide_index=True, key=f"cols:{table['schema']}.{table['name']}",
                 height=min(38 + 35 * len(frame), 460), column_config={
                     "key": st.column_config.TextColumn(width="small"),
                     "nullable": st.column_config.CheckboxColumn("null?", width="small"),
                     "description": st.column_config.TextColumn(width="large")})
    graph = relationship_dot(snap, table)
    if graph:
        st.markdown("**Relationships**")
        st.graphviz_chart(graph, width="stretch")
    preview(ws, record, table)


def columns_frame(table: dict):
    """Columns with compact key markers: PK, FK and what a foreign key points at."""
    import pandas as pd

    pk = set(table.get("primary_key") or [])
    refs = {}
    for fk in table.get("foreign_keys") or []:
        ref = fk["references"]
        for col, target in zip(fk["columns"], ref["columns"]):
            refs[col] = f"{ref['table']}.{target}"
    rows = [{"column": c["name"], "type": c.get("type") or "",
             "key": " ".join(k for k, on in (("PK", c["name"] in pk), ("FK", c["name"] in refs))
                             if on),
             "references": refs.get(c["name"], ""), "nullable": bool(c.get("nullable")),
             "description": c.get("description") or "", "default": c.get("default") or ""}
            for c in table.get("columns", [])]
    return pd.DataFrame(rows, columns=["column", "type", "key", "references", "nullable",
                                       "description", "default"])


def relationship_dot(snap: dict, table: dict) -> str | None:
    """DOT source of the table and its foreign-key neighbours (both directions)."""
    me = (table["schema"], table["name"])
    edges: list[tuple[tuple[str, str], tuple[str, str], str]] = []
    for fk in table.get("foreign_keys") or []:
        ref = fk["references"]
        edges.append((me, (ref.get("schema") or me[0], ref["table"]), ", ".join(fk["columns"])))
    for other in snap.get("tables", []):
        for fk in other.get("foreign_keys") or []:
            ref = fk["references"]
            if ref["table"] == me[1] and (ref.get("schema") or other["schema"]) == me[0]:
                edges.append(((other["schema"], other["name"]), me, ", ".join(fk["columns"])))
        if len(edges) >= MAX_NEIGHBOURS:
            break
    if not edges:
        return None

    def node(key: tuple[str, str]) -> str:
        label = key[1] if key[0] == me[0] else f"{key[0]}.{key[1]}"
        style = ('style="filled,rounded", fillcolor="#4F46E5", fontcolor="white"' if key == me
                 else 'style="filled,rounded", fillcolor="#EEF0FB", color="#C7CAE8"')
        return f'"{key[0]}.{key[1]}" [label="{label}", shape=box, {style}];'

    nodes = {n for edge in edges for n in edge[:2]}
    lines = ['digraph {', 'rankdir=LR; bgcolor="transparent";',
             'node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];',
             'edge [color="#8B90B8", fontname="Helvetica", fontsize=9, fontcolor="#5B6079"];']
    lines += [node(n) for n in sorted(nodes)]
    lines += [f'"{a[0]}.{a[1]}" -> "{b[0]}.{b[1]}" [label="{cols}"];' for a, b, cols in edges]
    return "\n".join(lines + ["}"])


def preview_sql(type_: str, schema: str, name: str) -> str:
    """SELECT * with the identifiers quoted for the connection's dialect."""
    from sqlglot import exp

    dialect = connector_class(type_).dialect
    table = exp.table_(name, db=schema or None, quoted=True)
    return exp.select("*").from_(table).limit(PREVIEW_ROWS).sql(dialect=dialect)


def preview(ws: Workspace, record: ConnectionRecord, table: dict) -> None:
    key = f"preview:{record.id}:{table['schema']}.{table['name']}"
    if st.button(f"Preview {PREVIEW_ROWS} rows", icon=ICONS["run"], key=f"btn:{key}"):
        sql = preview_sql(record.type, table["schema"], table["name"])
        with st.spinner("Reading rows (read-only)…"):
            result, err = widgets.guarded(lambda: ws.run_sql(record.name, sql,
                                                             limit=PREVIEW_ROWS))
        state.put(ws.owner, key, result)
    result: Any = state.get(ws.owner, key)
    if result is not None:
        st.caption(f"{result.row_count} rows · {result.elapsed_ms:,.0f} ms · `{result.sql}`")
        st.dataframe(result.df, hide_index=True, key=f"{key}:df")
