"""Connections page: cards with status, add (test first), edit, re-test and delete."""

from __future__ import annotations

import streamlit as st

from olympus.connectors import connector_class
from olympus.errors import ConfigError
from olympus.read_only import RiskyCredentials
from olympus.ops.health import latest
from olympus.store import ConnectionRecord, NameTaken
from olympus.ui import forms, functions, health, resources, state, widgets
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

ADD = "add_conn"
ADD_OPEN = "add_conn:open"  # the Add expander's state, once there are connections


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    widgets.header("Connections", ICONS["connections"],
                   "Databases Olympus can query. Credentials are encrypted at rest; "
                   "every query runs read-only.")
    flash = state.pop(ws.owner, "flash")
    if flash:  # it names connections: plain text
        st.success(widgets.md_text(flash), icon=ICONS["ok"])
    records, err = widgets.guarded(ws.connections)
    if err is not None:
        return
    if not records:
        st.info("No connections yet. Add your first one below.", icon=ICONS["connections"])
    checks = latest(ws.store, [r.id for r in records])  # one read for every card
    for record in records:
        card(ws, record, checks.get(record.id))
    if not ws.principal.can("manage"):  # the core refuses too; no form to offer
        st.caption(f"As a {ws.principal.role} of this space you can use these connections; "
                   "admins add, edit and remove them.")
        return
    st.space("small")
    add_section(ws, first=not records)


def add_section(ws: Workspace, *, first: bool) -> None:
    """The add form: open when there is no connection yet; else drawn only once its expander
    is opened (a page switch doesn't build a dozen hidden inputs), staying open while adding."""
    if first:
        with st.expander("Add a connection", icon=ICONS["add"], expanded=True):
            add_form(ws)
        return
    if state.get(ws.owner, "adding"):
        st.session_state.setdefault(ADD_OPEN, True)
    with st.expander("Add a connection", icon=ICONS["add"], key=ADD_OPEN,
                     on_change="rerun") as box:
        if box.open:
            add_form(ws)


# ---- cards ----------------------------------------------------------------------------------
def card(ws: Workspace, record: ConnectionRecord, check=None) -> None:
    """One connection: name, target, test status, health (its latest background check)."""
    with st.container(border=True, key=f"card_{record.id}"):
        left, middle, right = st.columns([4, 3, 4], vertical_alignment="center")
        with left:
            st.markdown(f"#### {widgets.type_icon(record.type)} {widgets.md_text(record.name)}")
            target = widgets.md_code(record.target or "—")
            st.caption(f"{widgets.type_label(record.type)} · {target}")
        with middle:
            widgets.status_badge(record)
            health.badge(check)
            tables = ("schema not read yet" if record.table_count is None
                      else f"{record.table_count:,} tables")
            st.caption(f"{tables} · last used {widgets.ago(record.last_used)}")
        with right, st.container(horizontal=True, horizontal_alignment="right"):
            test = st.button("Test", icon=ICONS["test"], key=f"test_{record.id}")
            editable = ws.principal.can("manage") and not record.managed
            if editable and st.button("Edit", icon=ICONS["edit"], key=f"edit_{record.id}"):
                _toggle(ws.owner, "editing", record.id)
            if editable and st.button("Delete", icon=ICONS["delete"], key=f"del_{record.id}"):
                _toggle(ws.owner, "deleting", record.id)
            if record.managed:
                st.caption("Managed in the server's secrets.toml")
        if test:
            retest(ws, record)
        shown = state.get(ws.owner, f"tested:{record.id}")
        if shown is not None:
            _test_message(shown, record.type)
        elif record.risky:
            with st.expander("These credentials can do more than read", icon=":material/warning:"):
                privilege_note(record.type, record.risky)
        functions.allowed_functions(ws, record)
        if state.get(ws.owner, "deleting") == record.id:
            confirm_delete(ws, record)
        if state.get(ws.owner, "editing") == record.id:
            edit_form(ws, record)


def _toggle(owner: str, what: str, record_id: str) -> None:
    state.put(owner, what, None if state.get(owner, what) == record_id else record_id)
    st.rerun()


def retest(ws: Workspace, record: ConnectionRecord) -> None:
    with st.spinner(f"Testing {widgets.md_text(record.name)}…"):
        result, err = widgets.guarded(lambda: ws.test_connection(record.name))
    if err is None:
        state.put(ws.owner, f"tested:{record.id}", result)
        st.rerun()


def _test_message(result, type_: str) -> None:
    if result.ok:
        st.success(f"Connection works · {widgets.md_text(widgets.test_summary(result))}",
                   icon=ICONS["ok"])
        privilege_note(type_, result.risky)
    else:
        widgets.error_box(result.error)


def privilege_note(type_: str, risky: tuple[str, ...] | None) -> None:
    """What the credentials may do beyond reading and the read-only role recipe; findings
    (table and role names) are untrusted, so they are plain text, never markdown."""
    recipe = connector_class(type_).read_only_role_recipe
    if risky:
        st.warning("These credentials can do more than read. Every query still runs read-only; "
                   "a least-privilege role is the safer second layer:", icon=":material/warning:")
        st.text("\n".join(f"• {finding}" for finding in risky))
    elif risky is None and recipe:
        st.caption("Olympus can't tell what these credentials may do beyond reading.")
    else:
        return
    if recipe:
        st.caption("A read-only role for this database:")
        st.code(recipe, language="sql")


def _risky_refusal(exc: RiskyCredentials, type_: str) -> None:
    st.error("Not saved: this connection requires a read-only role, and these credentials can "
             "do more than read.", icon=ICONS["failed"])
    privilege_note(type_, exc.findings)


def confirm_delete(ws: Workspace, record: ConnectionRecord) -> None:
    st.warning(f"Delete **{widgets.md_text(record.name)}**? Its saved credentials and cached "
               "schema are removed; the database itself is not touched.", icon=ICONS["delete"])
    yes, no, _ = st.columns([2, 2, 6])
    if yes.button("Delete connection", type="primary", key=f"del_yes_{record.id}"):
        _, err = widgets.guarded(lambda: ws.remove_connection(record.name))
        if err is None:
            state.put(ws.owner, "deleting", None)
            state.put(ws.owner, "flash", f"Deleted {record.name}.")
            st.rerun()
    if no.button("Cancel", key=f"del_no_{record.id}"):
        _toggle(ws.owner, "deleting", record.id)


# ---- edit -----------------------------------------------------------------------------------
def edit_form(ws: Workspace, record: ConnectionRecord) -> None:
    """Live inputs, not an st.form: any change drops the messages about the old values."""
    cls = connector_class(record.type)
    prefix = f"edit_{record.id}"
    errors = state.get(ws.owner, f"{prefix}:errors") or {}
    changed = _forgetter(ws.owner, f"{prefix}:errors")
    st.markdown(f"**Edit {widgets.md_text(record.name)}** · blank secret fields keep their "
                "saved values")
    name = st.text_input("Name *", value=record.name, key=f"{prefix}:name", on_change=changed)
    raw = forms.field_inputs(cls, key=prefix, current=record.params, on_change=changed,
                             secrets_set=record.secret_fields_set, errors=errors)
    expose = st.checkbox("Allow result rows to be sent to the LLM", on_change=changed,
                         value=record.expose_data_to_llm, key=f"{prefix}:expose")
    require = forms.read_only_checkbox(key=f"{prefix}:read_only", on_change=changed,
                                       value=record.require_read_only_role)
    _form_error(errors)
    save = st.button("Save and test", type="primary", icon=ICONS["ok"], on_click=changed,
                     key=f"{prefix}:save")
    if not save:
        return
    params, errors = forms.collect(cls, raw, editing=True, kept=record.secret_fields_set)
    if not name.strip():
        errors["name"] = "Enter a name."
    if errors:
        state.put(ws.owner, f"{prefix}:errors", errors)
        st.rerun()
    state.pop(ws.owner, f"{prefix}:errors")
    updated = _update(ws, record, name.strip(), params, expose=expose, raw=raw, require=require)
    if updated is None:
        return
    with st.spinner("Testing the updated connection…"):
        result, _ = widgets.guarded(lambda: ws.test_connection(updated.name))
    state.put(ws.owner, "editing", None)
    if result is not None:
        state.put(ws.owner, f"tested:{record.id}", result)
    state.put(ws.owner, "flash", f"Saved {updated.name}.")
    st.rerun()


def _update(ws: Workspace, record: ConnectionRecord, name: str, params: dict, *, expose: bool,
            raw: dict, require: bool) -> ConnectionRecord | None:
    """Save the edit; the store's own check (saved secrets merged in) marks the fields at fault."""
    prefix = f"edit_{record.id}"
    try:
        return ws.update_connection(
            record.name, new_name=name if name != record.name else None, params=params,
            expose_data_to_llm=expose, clear_secrets=forms.cleared(raw),
            require_read_only_role=require)
    except NameTaken as exc:  # the workspace's own check, shown at the name field
        state.put(ws.owner, f"{prefix}:errors", {"name": exc.message})
        st.rerun()
    except RiskyCredentials as exc:
        _risky_refusal(exc, record.type)
    except ConfigError as exc:  # e.g. a required secret ticked for removal
        errors = forms.field_errors(connector_class(record.type), exc)
        state.put(ws.owner, f"{prefix}:errors", errors)
        st.rerun()
    except Exception as exc:  # shown as a mapped error box, never a trace
        widgets.error_box(exc)
    return None


def _forgetter(owner: str, *names: str):
    """A widget callback dropping stored messages: they describe values the user just changed
    (Streamlit runs it before the rerun, so the stale message is never drawn again)."""
    def forget() -> None:
        for name in names:
            state.pop(owner, name)
    return forget


def _form_error(errors: dict) -> None:
    if errors.get("_form"):
        st.error(widgets.md_text(errors["_form"]), icon=ICONS["failed"])
    if errors.get("name"):
        st.markdown(f":red[:material/error: {widgets.md_text(errors['name'])}]")


# ---- add ------------------------------------------------------------------------------------
def add_form(ws: Workspace) -> None:
    """Live inputs, not an st.form: any change (type, name, a field) drops the messages about
    the old values at once; a form would keep "'X' already exists" until the next submit."""
    changed = _forgetter(ws.owner, f"{ADD}:errors")
    type_ = st.selectbox("Database type", forms.available_types(), key=f"{ADD}:type",
                         format_func=widgets.type_label, on_change=changed)
    cls = connector_class(type_)
    errors = state.get(ws.owner, f"{ADD}:errors") or {}
    name = st.text_input("Name *", key=f"{ADD}:name", placeholder="e.g. Analytics warehouse",
                         on_change=changed)
    if errors.get("name"):
        st.markdown(f":red[:material/error: {widgets.md_text(errors['name'])}]")
    raw = forms.field_inputs(cls, key=f"{ADD}:{type_}", errors=errors, on_change=changed)
    expose = st.checkbox("Allow result rows to be sent to the LLM", key=f"{ADD}:expose",
                         help="Off: only the schema and your question leave this machine.",
                         on_change=changed)
    untested = st.checkbox("Save even if the connection test fails", key=f"{ADD}:untested",
                           on_change=changed)
    require = forms.read_only_checkbox(key=f"{ADD}:read_only", on_change=changed,
                                       value=ws.settings.auth != "none")
    if errors.get("_form"):
        st.error(widgets.md_text(errors["_form"]), icon=ICONS["failed"])
    with st.container(horizontal=True):
        test = st.button("Test connection", icon=ICONS["test"], on_click=changed)
        save = st.button("Save connection", type="primary", icon=ICONS["add"],
                         on_click=changed)
    if test or save:
        state.put(ws.owner, "adding", True)
        submit_add(ws, cls, name, raw, save=save, untested=untested, expose=expose,
                   require=require)


def submit_add(ws: Workspace, cls, name: str, raw: dict, *, save: bool, untested: bool,
               expose: bool, require: bool = False) -> None:
    params, errors = forms.collect(cls, raw)
    if save and not name.strip():
        errors["name"] = "Enter a name for this connection."
    state.put(ws.owner, f"{ADD}:errors", errors or None)
    if errors:
        st.rerun()
    if not save:
        with st.spinner("Testing connection…"):
            result, _ = widgets.guarded(lambda: ws.test_params(cls.type, params))
        if result is not None:
            _test_message(result, cls.type)
        return
    try:
        with st.spinner("Testing and saving…"):
            record, result = ws.add_connection(name.strip(), cls.type, params, test_first=True,
                                               save_untested=untested, expose_data_to_llm=expose,
                                               require_read_only_role=require)
    except NameTaken as exc:  # the workspace's own check, shown at the name field
        state.put(ws.owner, f"{ADD}:errors", {"name": exc.message})
        st.rerun()
    except RiskyCredentials as exc:
        _risky_refusal(exc, cls.type)
        return
    except Exception as exc:  # shown as a mapped error box, never a trace
        widgets.error_box(exc)
        return
    if record is None:
        _test_message(result, cls.type)
        st.warning("Not saved: the connection test failed. Fix the settings, or tick "
                   "“Save even if the connection test fails”.", icon=ICONS["failed"])
        return
    forms.clear_inputs(f"{ADD}:")
    state.put(ws.owner, "adding", None)
    note = f" ({widgets.test_summary(result)})" if result is not None and result.ok else \
        " without a working test"
    state.put(ws.owner, "flash", f"Saved {record.name}{note}.")
    st.rerun()
