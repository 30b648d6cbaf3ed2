"""Home: what Olympus is, the connections and their status, next steps, the LLM setup."""

from __future__ import annotations

import threading

import streamlit as st

from olympus.ui import resources, state, widgets
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace


_BOOT_LOCK = threading.Lock()  # two first sessions at once must not both build the demo


def bootstrap(ws: Workspace) -> None:
    """The real first start (demo never offered to this owner): build and register the demo."""
    if state.get(ws.owner, "bootstrapped"):
        return
    state.put(ws.owner, "bootstrapped", True)
    with st.spinner("First start: generating the demo database (a few seconds)…"), _BOOT_LOCK:
        try:
            demo = ws.offer_demo()
            if demo is None:
                return
            ws.schema(demo.id)  # small and local: read it now so counts show everywhere
        except Exception as exc:  # e.g. a wrong secret key: shown on the home page
            state.put(ws.owner, "bootstrap_error", widgets.as_error(exc))
            return
    state.put(ws.owner, "demo_created", demo.name)


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    bootstrap(ws)
    widgets.header("Olympus", ":material/insights:",
                   "Ask your company's databases questions in plain English — or in SQL — and get "
                   "a table, a chart and the exact query back. Read-only, always.")
    problem = state.get(ws.owner, "bootstrap_error")
    if problem:
        widgets.error_box(problem)
    demo_name = state.get(ws.owner, "demo_created")
    if demo_name:
        from olympus.demo import DESCRIPTION

        st.success(f"**Welcome!** This is the first start, so Olympus created a demo database "
                   f"and added it as the connection **{widgets.md_text(demo_name)}**: "
                   f"{' '.join(DESCRIPTION.split())}", icon=":material/celebration:")
    records, err = widgets.guarded(ws.connections)
    if err is not None:
        return
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.header("Connections", anchor=False)
        if not records:
            widgets.no_connections()
        for record in records:
            connection_row(record)
        widgets.nav_link("connections", "Manage connections", icon=ICONS["connections"])
    with right:
        st.header("Next steps", anchor=False)
        with st.container(border=True):
            widgets.nav_link("schema", "Browse the schema", icon=ICONS["schema"])
            st.caption("Tables, columns, keys and relationships, with a preview of rows.")
            widgets.nav_link("ask", "Ask a question", icon=ICONS["ask"])
            st.caption("Plain English or SQL; every answer comes with a table and a chart.")
            widgets.nav_link("connections", "Add a database", icon=ICONS["add"])
            st.caption("PostgreSQL / Supabase, Redshift, Snowflake, BigQuery, DuckDB, SQLite.")
        st.header("Language model", anchor=False)
        with st.container(border=True):
            widgets.llm_status(config)


def connection_row(record) -> None:
    with st.container(border=True):
        a, b = st.columns([3, 2], vertical_alignment="center")
        with a:
            st.markdown(f"**{widgets.type_icon(record.type)} {widgets.md_text(record.name)}**")
            tables = "" if record.table_count is None else f" · {record.table_count:,} tables"
            st.caption(f"{widgets.type_label(record.type)}{tables}")
        with b:
            widgets.status_badge(record)
