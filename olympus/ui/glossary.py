"""The Glossary page: the space's business terms (everyone reads; editors add, edit, delete),
and the YAML import/export of one connection's descriptions and terms."""

from __future__ import annotations

import streamlit as st

from olympus.semantic.glossary import GlossaryTerm
from olympus.ui import resources, widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS

EVERY = "(every connection)"


def render() -> None:
    widgets.header("Glossary", ICONS["glossary"],
                   "What your team's words mean: the agent reads the terms a question uses.")
    ws = resources.workspace()
    terms, error = widgets.guarded(ws.glossary)
    if error:
        widgets.error_box(error)
        return
    names = {r.id: r.name for r in ws.connections()}
    can_edit = ws.principal.can("save")
    if can_edit:
        term_form(ws, None, names)
    if not terms:
        st.info("No terms yet." + (" Add one above." if can_edit else " Editors can add them."))
    for term in terms:
        show_term(ws, term, names, can_edit)
    if names:
        yaml_panel(ws, sorted(names.values()), can_edit)


def show_term(ws, term: GlossaryTerm, names: dict[str, str], can_edit: bool) -> None:
    """One term as text (everything in it was typed by someone: never markdown, never HTML)."""
    scope = names.get(term.connection_id, "a hidden connection") if term.connection_id else EVERY
    with st.expander(md_text(f"{term.term} · {scope}"), icon=":material/menu_book:"):
        if term.definition:
            st.text(term.definition)
        if term.synonyms:
            st.caption(md_text("Also: " + ", ".join(term.synonyms)))
        if term.sql_expression:
            st.code(term.sql_expression, language="sql")
        st.caption(md_text(f"Edited by {term.updated_by or 'someone'} {widgets.ago(term.updated_at)}"))
        if can_edit:
            term_form(ws, term, names)
            if st.button("Delete", key=f"gl:del:{term.id}", icon=ICONS["delete"], type="tertiary"):
                _, error = widgets.guarded(lambda: ws.delete_term(term.id))
                if error:
                    widgets.error_box(error)
                else:
                    st.rerun()


def term_form(ws, term: GlossaryTerm | None, names: dict[str, str]) -> None:
    """Add (term None) or edit one term; errors keep what was typed."""
    key = f"gl:{term.id if term else 'new'}"
    label = "Save" if term else "Add term"
    with st.form(key, clear_on_submit=term is None, border=term is None):
        if term is None:
            st.markdown(f"**{ICONS['add']} New term**")
        name = st.text_input("Term", value=term.term if term else "", placeholder="default rate")
        definition = st.text_area("Definition", value=term.definition if term else "",
                                  placeholder="The share of loans with a delinquency over 90 days.")
        synonyms = st.text_input("Synonyms (comma-separated)", value=", ".join(term.synonyms) if term else "")
        sql = st.text_area("SQL expression or metric (optional)", value=(term.sql_expression or "") if term else "",
                           placeholder="AVG(CASE WHEN days_past_due > 90 THEN 1.0 ELSE 0 END)")
        scopes = [EVERY, *sorted(names.values())]
        current = names.get(term.connection_id, EVERY) if term and term.connection_id else EVERY
        scope = st.selectbox("Applies to", scopes, index=scopes.index(current) if current in scopes else 0)
        if not st.form_submit_button(label, icon=ICONS["edit"] if term else ICONS["add"]):
            return
    draft = GlossaryTerm(name, definition, tuple(s.strip() for s in synonyms.split(",") if s.strip()),
                         sql or None, id=term.id if term else None)
    _, error = widgets.guarded(lambda: ws.save_term(draft, connection=None if scope == EVERY else scope))
    if error:
        widgets.error_box(error)
    else:
        st.rerun()


def yaml_panel(ws, connections: list[str], can_edit: bool) -> None:
    """Download one connection's descriptions and terms as YAML; editors import a file back."""
    with st.expander("Import / export (YAML, dbt)", icon=ICONS["download"]):
        name = st.selectbox("Connection", connections, key="gl:yaml:conn")
        text, error = widgets.guarded(lambda: ws.export_layer(name))
        if error:
            widgets.error_box(error)
        else:
            st.download_button("Download YAML", text, file_name=f"{name}-semantic.yml", mime="text/yaml",
                               icon=ICONS["download"])
        if not can_edit:
            return
        upload = st.file_uploader("Import YAML (from an export) into this connection", type=["yml", "yaml"])
        if upload is not None and st.button("Import", key="gl:yaml:go", icon=ICONS["add"]):
            report, error = widgets.guarded(lambda: ws.import_layer(name, upload.getvalue().decode("utf-8", "replace")))
            if error:
                widgets.error_box(error)
            else:
                st.success(md_text(f"Imported {report.summary()}"))
                for missing in (*report.unmatched_tables, *report.unmatched_columns):
                    st.text(f"Not found: {missing}")
        st.caption("dbt: `python -m olympus semantic dbt CONNECTION PATH` reads manifest.json or schema.yml files.")


# ---- the Schema page ----------------------------------------------------------------------------
def description_editor(ws, connection: str, table) -> None:
    """Olympus descriptions of one table and its columns (stored in Olympus, never in the
    database; the agent reads them instead of the comments); editors change them here. Built
    only once opened (it reads the store; the Schema page draws faster without it)."""
    with st.expander("Edit description", icon=ICONS["edit"], key="schema:describe-open",
                     on_change="rerun") as box:
        if not box.open:
            return
        notes, error = widgets.guarded(lambda: {d.column: d for d in ws.descriptions(connection)
                                                if d.table == table.qualified_name})
        if error:
            widgets.error_box(error)
            return
        for column, note in sorted(notes.items()):
            st.text(f"{column or '(table)'}: {note.text}")
        if not notes:
            st.caption("No Olympus descriptions yet: the agent reads the database's comments.")
        if not ws.principal.can("save"):
            return
        whole = "(the table)"
        key = f"desc:{connection}:{table.qualified_name}"
        target = st.selectbox("Describe", [whole, *(c.name for c in table.columns)], key=f"{key}:what")
        column = "" if target == whole else target
        current = notes.get(column)
        comment = table.description if not column else (table.column(column).description if table.column(column) else None)
        text = st.text_area("Description", value=current.text if current else (comment or ""),
                            key=f"{key}:{column}:text", help="Empty: back to the database's own comment.")
        if st.button("Save description", key=f"{key}:{column}:save", icon=ICONS["edit"]):
            _, error = widgets.guarded(lambda: ws.set_description(connection, table.qualified_name, column, text))
            if error:
                widgets.error_box(error)
            else:
                st.success(md_text(f"Saved: the agent now reads this for {table.qualified_name}"
                                   + (f".{column}" if column else "") + "."))
