"""Members page (admins): who is in this space with which role, and who may use each connection.

Every rule is checked again in Workspace; this page only hides what a role can't use. Names and
e-mails are untrusted text: shown with st.text or escaped, never as markdown."""

from __future__ import annotations

import streamlit as st

from olympus.teams import ROLES
from olympus.ui import identity, resources, state, widgets
from olympus.ui.widgets import ICONS
from olympus.workspace import Workspace

ROLE_HELP = {"admin": "members, connections, grants and settings of the space",
             "editor": "ad-hoc SQL and questions on granted connections; save and share work",
             "viewer": "open shared work and re-run it; no ad-hoc SQL"}


def render() -> None:
    config = resources.settings()
    ws = resources.workspace(config)
    widgets.header("Members", ICONS["members"],
                   "Who is in this space, with which role, and who may use each connection.")
    if config.auth == "none":
        st.info("No sign-in is configured, so there is one local user and no members to manage. "
                "Set `OLYMPUS_AUTH` to serve a team (README, \"Host it for your team\").",
                icon=ICONS["members"])
        return
    if not ws.principal.can("members"):
        st.info(f"Only admins of this space manage its members; you are {ws.principal.role}.",
                icon=ICONS["members"])
        return
    flash = state.pop(ws.owner, "members:flash")
    if flash:
        st.success(widgets.md_text(flash), icon=ICONS["ok"])
    st.caption(" · ".join(f"**{r}**: {h}" for r, h in ROLE_HELP.items()))
    rows, err = widgets.guarded(ws.members)
    if err is not None:
        return
    for email, role in rows:
        member_row(ws, email, role)
    add_form(ws, config)
    st.subheader("Who may use each connection", anchor=False)
    st.caption("A connection with nobody selected is open to every member of the space. "
               "Admins always see every connection.")
    records, _ = widgets.guarded(ws.connections)
    for record in records or []:
        grants_form(ws, record.name, [e for e, _ in rows])


def member_row(ws: Workspace, email: str, role: str) -> None:
    with st.container(border=True, key=f"member_{_key(email)}"):
        left, middle, right = st.columns([4, 3, 2], vertical_alignment="center")
        left.text(email)
        if email == ws.principal.user:  # never lock yourself out
            middle.text(f"{role} (you)")
            return
        chosen = middle.selectbox("Role", ROLES, index=ROLES.index(role), key=f"role:{email}",
                                  label_visibility="collapsed")
        if chosen != role:
            _act(ws, lambda: ws.set_member(email, chosen), f"{email} is now {chosen}.")
        if right.button("Remove", icon=ICONS["delete"], key=f"remove:{email}"):
            _act(ws, lambda: ws.remove_member(email), f"Removed {email} from this space.")


def add_form(ws: Workspace, config) -> None:
    with st.form("add_member", clear_on_submit=True, border=True):
        st.markdown(f"{ICONS['add']} **Add a member**")
        left, right = st.columns([3, 2])
        email = left.text_input("E-mail", placeholder="name@company.com", key="member:email")
        role = right.selectbox("Role", ROLES, index=0, key="member:role")
        if not st.form_submit_button("Add member", type="primary", icon=ICONS["add"]):
            return
    email = (email or "").strip().lower()
    if not identity.domain_allowed(email, config):
        widgets.error_box({"title": "Domain not allowed", "message": (
            f"{email} is outside the allowed domains ({', '.join(config.allowed_domains)}), "
            "so they could never sign in."), "type": "config"})
        return
    _act(ws, lambda: ws.set_member(email, role), f"Added {email} as {role}.")


def grants_form(ws: Workspace, name: str, emails: list[str]) -> None:
    current, err = widgets.guarded(lambda: ws.grants_of(name))
    if err is not None:
        return
    limited = bool(current["users"] or current["roles"])
    with st.expander(f"{widgets.md_text(name)} · {'limited' if limited else 'every member'}",
                     icon=ICONS["key"]), st.form(f"grants:{name}", border=False):
        users = st.multiselect("Members", sorted(set(emails) | set(current["users"])),
                               default=current["users"], key=f"grants:{name}:users")
        roles = st.multiselect("Roles", ROLES, default=current["roles"],
                               key=f"grants:{name}:roles")
        if st.form_submit_button("Save access", icon=ICONS["ok"]):
            _act(ws, lambda: ws.grant(name, users=users, roles=roles),
                 f"Saved who may use {name}.")


def _act(ws: Workspace, action, done: str) -> None:
    """Run a change; its error is shown, its success flashed after a rerun."""
    _, err = widgets.guarded(action)
    if err is None:
        state.put(ws.owner, "members:flash", done)
        st.rerun()


def _key(email: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in email)
