"""Schema page: searchable, paged table list; table detail, relationships and a row preview."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from olympus.catalog import Catalog, Table
from olympus.connectors import connector_class
from olympus.connectors.traits import Capabilities
from olympus.store import ConnectionRecord
from olympus.ui import resources, state, widgets
from olympus.ui.safe_text import badge_text, md_code, md_text
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


def _when(snap: Catalog) -> str:
    from datetime import datetime

    raw = snap.introspected_at
    try:
        moment = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return "at an unknown time"
    return f"{widgets.ago(moment)} ({moment.astimezone():%Y-%m-%d %H:%M})"


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def report(message: str, fraction: float) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=md_text(message))
    return bar, report


def refresh(ws: Workspace, record: ConnectionRecord) -> None:
    bar, report = _progress_bar(f"Re-reading the schema of {md_text(record.name)}…")
    snap, err = widgets.guarded(lambda: ws.schema(record.id, refresh=True, progress=report))
    bar.empty()
    if err is None:
        resources.forget_schema_cache()
        state.put(ws.owner, "schema:flash", f"Schema refreshed: {len(snap.tables):,} tables.")
        st.rerun()


def load(ws: Workspace, record: ConnectionRecord) -> Catalog | None:
    """The cached catalog; the first look at a connection introspects with a progress bar."""
    flash = state.pop(ws.owner, "schema:flash")
    if flash:
        st.success(md_text(flash), icon=ICONS["ok"])
    if record.introspected_at:
        snap, err = widgets.guarded(lambda: resources.snapshot(ws, record))
        return snap
    bar, report = _progress_bar(f"Reading the schema of {md_text(record.name)} "
                                "for the first time…")
    snap, err = widgets.guarded(lambda: ws.schema(record.id, progress=report))
    bar.empty()
    return snap


# ---- list -----------------------------------------------------------------------------------
def capabilities(type_: str) -> Capabilities:
    """What this kind of database can have (the connector class says): the page hides the rest."""
    return getattr(connector_class(type_), "capabilities", Capabilities())


def browse(ws: Workspace, record: ConnectionRecord, snap: Catalog) -> None:
    caps = capabilities(record.type)
    schemas = snap.schemas
    views = sum(t.kind == "view" for t in snap.tables)
    st.markdown(f"**{len(snap.tables):,}** tables and views ({views:,} views) in "
                f"**{len(schemas)}** schema{'s' if len(schemas) != 1 else ''} · "
                f"{sum(len(t.columns) for t in snap.tables):,} columns")
    f1, f2, f3 = st.columns([2, 3, 3])
    schema = f1.selectbox("Schema", [ALL, *schemas], key=f"schema:{record.id}:ns")
    text = f2.text_input("Table name", key=f"schema:{record.id}:q",
                         placeholder="Filter tables by name or description")
    column = f3.text_input("Column name", key=f"schema:{record.id}:col",
                           placeholder="Tables that have a column like…")
    found = snap.search(text, schema=None if schema == ALL else schema, column=column)
    if not found:
        st.info("No table matches these filters.", icon=":material/search_off:")
        return
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    left, right = st.columns([4, 8], gap="medium")
    with left:
        page = 1
        if pages > 1:
            page = st.pagination(pages, key=f"schema:{record.id}:page:{len(found)}")
        shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        st.caption(f"{len(found):,} match{'es' if len(found) != 1 else ''}"
                   + (f" · page {page} of {pages}" if pages > 1 else ""))
        chosen = table_list(shown, key=f"schema:{record.id}:list", show_schema=len(schemas) > 1,
                            show_rows=caps.row_estimates)
    with right:
        table = snap.table(chosen[1], schema=chosen[0]) if chosen else None
        if table is not None:
            detail(ws, record, snap, table, show_rows=caps.row_estimates)


def list_frame(tables: tuple[Table, ...], *, show_schema: bool, show_rows: bool):
    """One row per listed table (a page at most: cheap to build on every run)."""
    import pandas as pd

    columns = ["schema"] * show_schema + ["table", "kind", "columns"] + ["rows"] * show_rows
    rows = [{"schema": t.schema, "table": t.name, "kind": t.kind or "table",
             "columns": len(t.columns), "rows": t.row_count_estimate,
             "description": (t.description or "").strip()} for t in tables]
    return pd.DataFrame(rows, columns=[*columns, "description"])


def table_list(shown: tuple[Table, ...], *, key: str, show_schema: bool,
               show_rows: bool = True) -> tuple[str, str] | None:
    """A selectable list (click a row, or pick by name); returns (schema, table)."""
    options = [t.qualified_name for t in shown]
    pick_key = f"{key}:pick"
    if st.session_state.get(pick_key) not in options:
        st.session_state[pick_key] = options[0]

    def on_select() -> None:
        rows = st.session_state[f"{key}:grid"].selection.rows
        if rows:
            st.session_state[pick_key] = options[rows[0]]

    picked = st.selectbox("Open table", options, key=pick_key)
    st.dataframe(list_frame(shown, show_schema=show_schema, show_rows=show_rows),
                 hide_index=True, key=f"{key}:grid", on_select=on_select,
                 selection_mode="single-row", height=min(38 + 35 * len(shown), 560),
                 column_config={
                     "kind": st.column_config.TextColumn(width="small"),
                     "columns": st.column_config.NumberColumn("cols", width="small"),
                     "rows": st.column_config.NumberColumn("rows≈", format="compact",
                                                           width="small"),
                     "description": st.column_config.TextColumn(width="medium")})
    table = shown[options.index(picked)]
    return table.schema, table.name


# ---- detail ---------------------------------------------------------------------------------
def detail(ws: Workspace, record: ConnectionRecord, snap: Catalog, table: Table, *,
           show_rows: bool = True) -> None:
    kind = table.kind or "table"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"{ICONS.get(kind, ICONS['table'])} {md_text(table.qualified_name)}",
                     anchor=False)
        st.badge(badge_text(kind), color="blue" if kind == "table" else "orange")
    st.markdown(md_text(table.description) if table.description
                else "_No description in the catalog._")
    rows = table.row_count_estimate
    facts = [f"**{len(table.columns)}** columns"]
    if show_rows:
        facts.append(f"**{'—' if rows is None else f'{rows:,}'}** rows (estimate)")
    facts += [f"primary key: {md_code(', '.join(table.primary_key) or 'none')}",
              f"**{len(table.foreign_keys)}** foreign keys"]
    st.markdown(" · ".join(facts))
    frame = columns_frame(table)
    st.dataframe(frame, hide_index=True, key=f"cols:{table.qualified_name}",
                 height=min(38 + 35 * len(frame), 460), column_config={
                     "key": st.column_config.TextColumn(width="small"),
                     "nullable": st.column_config.CheckboxColumn("null?", width="small"),
                     "description": st.column_config.TextColumn(width="large")})
    graph = relationship_dot(snap, table)
    if graph:
        st.markdown("**Relationships**")
        st.graphviz_chart(graph, width="stretch")
    preview(ws, record, table)


def columns_frame(table: Table):
    """Columns with compact key markers: PK, FK and what a foreign key points at."""
    import pandas as pd

    pk = set(table.primary_key)
    refs = {col: f"{ref_table}.{ref_col}"
            for col, (_, ref_table, ref_col) in table.fk_targets().items()}
    rows = [{"column": c.name, "type": c.type or "",
             "key": " ".join(k for k, on in (("PK", c.name in pk), ("FK", c.name in refs)) if on),
             "references": refs.get(c.name, ""), "nullable": bool(c.nullable),
             "description": c.description or "",
             "default": "" if c.default is None else str(c.default)}
            for c in table.columns]
    return pd.DataFrame(rows, columns=["column", "type", "key", "references", "nullable",
                                       "description", "default"])


def relationship_dot(snap: Catalog, table: Table) -> str | None:
    """DOT source of the table and its foreign-key neighbours (both directions). Node ids are
    generated (n0, n1...); names only ever appear inside escaped labels (dot_label)."""
    me = (table.schema, table.name)
    edges = [(me, fk.target(table.schema), ", ".join(fk.columns)) for fk in table.foreign_keys]
    edges += [((other.schema, other.name), me, ", ".join(fk.columns))
              for other, fk in snap.references_in(table)]
    edges = edges[:MAX_NEIGHBOURS]
    if not edges:
        return None
    ids = {key: f"n{i}" for i, key in enumerate(sorted({n for edge in edges for n in edge[:2]}))}

    def node(key: tuple[str, str]) -> str:
        label = key[1] if key[0] == me[0] else f"{key[0]}.{key[1]}"
        style = ('style="filled,rounded", fillcolor="#4F46E5", fontcolor="white"' if key == me
                 else 'style="filled,rounded", fillcolor="#EEF0FB", color="#C7CAE8"')
        return f'{ids[key]} [label="{dot_label(label)}", shape=box, {style}];'

    lines = ['digraph {', 'rankdir=LR; bgcolor="transparent";',
             'node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];',
             'edge [color="#8B90B8", fontname="Helvetica", fontsize=9, fontcolor="#5B6079"];']
    lines += [node(n) for n in ids]
    lines += [f'{ids[a]} -> {ids[b]} [label="{dot_label(cols)}"];' for a, b, cols in edges]
    return "\n".join(lines + ["}"])


def dot_label(text: str) -> str:
    """Text for inside a DOT double-quoted label, shown exactly as written.

    Graphviz's lexer only knows the escape \\" (a name ending in a backslash would swallow the
    closing quote), so the string holds no backslash or quote at all: both become HTML entities,
    which Graphviz decodes before its own escapes (\\n, \\N...), hence a backslash is &#92;&#92;.
    Control characters become spaces; <, > and & are entities too."""
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in str(text))
    return (text.replace("&", "&amp;").replace("\\", "&#92;&#92;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def preview(ws: Workspace, record: ConnectionRecord, table: Table) -> None:
    key = f"preview:{record.id}:{table.qualified_name}"
    if st.button(f"Preview {PREVIEW_ROWS} rows", icon=ICONS["run"], key=f"btn:{key}"):
        sql = table.preview_sql(connector_class(record.type).dialect, PREVIEW_ROWS)
        with st.spinner("Reading rows (read-only)…"):
            result, err = widgets.guarded(lambda: ws.run_sql(record.name, sql,
                                                             limit=PREVIEW_ROWS))
        state.put(ws.owner, key, result)
    result: Any = state.get(ws.owner, key)
    if result is not None:
        st.caption(f"{result.row_count} rows · {result.elapsed_ms:,.0f} ms · {md_code(result.sql)}")
        st.dataframe(result.df, hide_index=True, key=f"{key}:df")
