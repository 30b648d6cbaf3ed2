"""Schema page: searchable, paged table list; table detail, relationships and a row preview."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from olympus.catalog import Catalog, Table
from olympus.connectors import connector_class
from olympus.connectors.traits import Capabilities
from olympus.store import ConnectionRecord
from olympus.ui import glossary, resources, state, verified, widgets
from olympus.ui.safe_text import md_code, md_text
from olympus.ui.schema_parts import (COLUMN_FIELDS, column_rows, dot_label, find,  # noqa: F401
                                     list_rows, relationship_dot, starter_sql)
from olympus.ui.table_view import Col, compact, table_view
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

PAGE_SIZE = 50
PREVIEW_ROWS = 50
PENDING_SQL = "ask:pending_sql"  # Ask opens with this SQL in its editor, then drops it
ALL = "All schemas"
GRAPH = "schema:graph"  # the Relationships expander's state: open or closed


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    widgets.header("Schema", ICONS["schema"],
                   "Tables, columns, keys and relationships, read from each database's catalog.")
    records = widgets.connections_or_notice(ws)
    if not records:
        return
    names = [r.name for r in records]
    # rows are flex containers, not st.columns: one block each instead of one per column
    with st.container(horizontal=True, vertical_alignment="bottom"):
        name = widgets.connection_picker(
            records, state.selected_connection(ws.owner, names), key="schema:conn",
            few=widgets.FEW_CONNECTIONS)
        state.select_connection(ws.owner, name)
        info = st.empty()
        clicked = st.button("Refresh schema", icon=ICONS["refresh"], key="schema:refresh")
    record = next(r for r in records if r.name == name)
    if clicked:
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
    with st.container(horizontal=True, vertical_alignment="bottom"):
        schema = ALL  # one schema: nothing to choose
        if len(schemas) > 1:
            schema = st.selectbox("Schema", [ALL, *schemas], key=f"schema:{record.id}:ns",
                                  width=200)
        text = st.text_input("Table name", key=f"schema:{record.id}:q",
                             placeholder="Filter tables by name")
        column = st.text_input("Column name", key=f"schema:{record.id}:col",
                               placeholder="Tables that have a column like…")
        wide = st.toggle("Descriptions too", key=f"schema:{record.id}:desc",
                         help="Also list tables whose description mentions the text, after "
                              "the tables whose name holds it.")
    found, more = find(snap, text, schema=None if schema == ALL else schema, column=column,
                       descriptions=wide)
    if more:
        st.caption(f"{more:,} more table{'s' if more != 1 else ''} mention "
                   f"{md_code(text.strip())} in their description: turn on "
                   "**Descriptions too** to list them.")
    if not found:
        st.info("No table matches these filters.", icon=":material/search_off:")
        return
    left, right = st.columns([4, 8], gap="medium")
    with left:
        chosen = table_list(found, key=f"schema:{record.id}:list", show_schema=len(schemas) > 1,
                            show_rows=caps.row_estimates)
    with right:
        detail(ws, record, snap, chosen, show_rows=caps.row_estimates)


def table_list(found: tuple[Table, ...], *, key: str, show_schema: bool,
               show_rows: bool = True) -> Table:
    """A paged, selectable list (click a row, or pick by name); the open table's row is
    highlighted and checked. Returns the open table."""
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = st.pagination(pages, key=f"{key}:page:{len(found)}") if pages > 1 else 1
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    st.caption(f"{len(found):,} match{'es' if len(found) != 1 else ''}"
               + (f" · page {page} of {pages}" if pages > 1 else ""))
    options = [t.qualified_name for t in shown]
    pick_key = f"{key}:pick"
    if st.session_state.get(pick_key) not in options:
        st.session_state[pick_key] = options[0]
    picked = st.selectbox("Open table", options, key=pick_key)
    at = options.index(picked)

    def on_open(row: int) -> None:
        if 0 <= row < len(options):
            st.session_state[pick_key] = options[row]

    names, rows = list_rows(shown, show_schema=show_schema, show_rows=show_rows)
    for row in rows if show_rows else ():
        row[names.index("rows")] = compact(row[names.index("rows")])
    table_view(_list_columns(names), rows, key=f"{key}:grid", label="Tables",
               selected=at, on_open=on_open, max_height=560)
    return shown[at]


def _list_columns(names: list[str]) -> list[Col]:
    """Names, kind and counts as wide as they need; the description gets the rest, one line."""
    helps = {"cols": "Columns", "rows": "Estimated rows, from the catalog"}
    return [Col(n, "rows≈" if n == "rows" else n, helps.get(n),
                align="right" if n in ("cols", "rows") else "left", clip=n == "description")
            for n in names]


# ---- detail ---------------------------------------------------------------------------------
def detail(ws: Workspace, record: ConnectionRecord, snap: Catalog, table: Table, *,
           show_rows: bool = True) -> None:
    kind = table.kind or "table"
    st.subheader(f"{ICONS.get(kind, ICONS['table'])} {md_text(table.qualified_name)}",
                 anchor=False)
    rows = table.row_count_estimate
    facts = [f":{'blue' if kind == 'table' else 'orange'}-badge[{md_text(kind)}] "
             f"**{len(table.columns)}** columns"]
    if show_rows:
        facts.append(f"**{'—' if rows is None else f'{rows:,}'}** rows (estimate)")
    facts += [f"primary key: {md_code(', '.join(table.primary_key) or 'none')}",
              f"**{len(table.foreign_keys)}** foreign keys"]
    # description and facts in one element (every element costs the browser a little)
    st.markdown((md_text(table.description) if table.description
                 else "_No description in the catalog._") + "\n\n" + " · ".join(facts))
    query_button(ws, record, table)
    rows = column_rows(table)
    cols = _detail_columns(rows)
    keep = [COLUMN_FIELDS.index(c.key) for c in cols]
    table_view(cols, [[row[i] for i in keep] for row in rows], key=f"cols:{table.qualified_name}",
               label=f"Columns of {table.qualified_name}", max_height=460)
    verified.used_by_panel(ws, record.name, table)  # what reads it: impact before a change
    glossary.description_editor(ws, record.name, table)  # Olympus descriptions over comments
    relationships(snap, table)
    preview(ws, record, table)


def relationships(snap: Catalog, table: Table) -> None:
    """The foreign-key graph on request: closed, nothing is computed or drawn (Graphviz is the
    slowest thing on the page); opened, it stays open from table to table."""
    with st.expander("Relationships", icon=":material/hub:", key=GRAPH,
                     on_change="rerun") as box:
        if not box.open:
            return
        graph = relationship_dot(snap, table)
        if graph:
            st.graphviz_chart(graph, width="stretch")
        else:
            st.caption("No foreign keys to or from this table.")


def _detail_columns(rows: list[list]) -> list[Col]:
    """Every field a column has; references and defaults only when some column has one."""
    cols = [Col("column"), Col("type", help="The type as the database declares it"),
            Col("key", help="PK: primary key · FK: foreign key"),
            Col("references", help="The table.column a foreign key points at"),
            Col("nullable", "null?", "Nullable"), Col("description"), Col("default")]
    return [c for i, c in enumerate(cols)
            if c.key not in ("references", "default") or any(r[i] for r in rows)]


def query_button(ws: Workspace, record: ConnectionRecord, table: Table) -> None:
    """Open Ask with a starter SELECT of this table, ready to edit and run (not for viewers,
    who may not run their own SQL)."""
    if ws.principal.can("query") and st.button("Query this table", icon=ICONS["sql"], type="primary",
                 key=f"query:{record.id}:{table.qualified_name}"):
        state.select_connection(ws.owner, record.name)
        st.session_state[PENDING_SQL] = starter_sql(table, connector_class(record.type).dialect)
        try:
            st.switch_page(widgets.PAGES["ask"])
        except st.errors.StreamlitAPIException:  # this page run alone, outside app.py's routing
            st.code(st.session_state[PENDING_SQL], language="sql")


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
