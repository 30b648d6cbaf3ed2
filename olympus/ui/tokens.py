"""Access tokens (for the MCP server) in the sidebar: create one (its secret shown once), see
mine (prefix, created, last used) and revoke. Every rule is checked again in Workspace; token
names are untrusted text, shown with st.text."""

from __future__ import annotations

import streamlit as st

from olympus.ui import state, widgets
from olympus.workspace import Workspace

_NEW = "tokens:new"  # (name, secret) of the token just created: shown until dismissed
ICON = ":material/key:"


OPEN = "tokens:open"  # the expander's state: its content is built (and the store read) only open


def sidebar(ws: Workspace) -> None:
    """The 'Access tokens' expander, on every page, for every signed-in user; closed, nothing
    inside it is built, so a page switch doesn't pay for it."""
    if state.get(ws.owner, _NEW) is not None:  # a secret not yet copied stays in view
        st.session_state.setdefault(OPEN, True)
    with st.sidebar.expander("Access tokens", icon=ICON, key=OPEN, on_change="rerun") as box:
        if box.open:
            section(ws)


def section(ws: Workspace) -> None:
    st.caption("Let an AI assistant use Olympus as you, over MCP: `python -m olympus mcp "
               "--transport http`, then send `Authorization: Bearer <token>`.")
    fresh = state.get(ws.owner, _NEW)
    if fresh is not None:
        shown(ws, *fresh)
    create_form(ws)
    tokens, err = widgets.guarded(ws.access_tokens)
    for token in [t for t in tokens or [] if t.active]:
        token_row(ws, token)
    if err is None and not any(t.active for t in tokens or []):
        st.caption("No tokens yet.")


def shown(ws: Workspace, name: str, secret: str) -> None:
    """The new secret, once: it is not stored and can't be shown again."""
    st.success("Token created. Copy it now: it won't be shown again.", icon=ICON)
    st.text(name)
    st.code(secret, language=None)
    if st.button("I copied it", key="tokens:done"):
        state.pop(ws.owner, _NEW)
        st.rerun()


def create_form(ws: Workspace) -> None:
    with st.form("tokens:create", clear_on_submit=True, border=False):
        name = st.text_input("Token name", placeholder="e.g. Claude desktop", key="tokens:name")
        if not st.form_submit_button("Create token", icon=":material/add:"):
            return
    created, err = widgets.guarded(lambda: ws.create_token(name))
    if err is None:
        info, secret = created
        state.put(ws.owner, _NEW, (info.name, secret))
        st.rerun()


def token_row(ws: Workspace, token) -> None:
    with st.container(border=True, key=f"token_{token.id}"):
        st.text(f"{token.name}  ·  {token.prefix}…")
        used = widgets.ago(token.last_used_at) if token.last_used_at else "never"
        st.caption(f"Created {widgets.ago(token.created_at)} · last used {used}")
        if st.button("Revoke", key=f"tokens:revoke:{token.id}", icon=":material/block:"):
            _, err = widgets.guarded(lambda: ws.revoke_token(token.id))
            if err is None:
                st.rerun()


def trusted_email_header() -> str | None:
    """The request header Streamlit maps to `email` (server.trustedUserHeaders): the MCP server
    behind the same proxy trusts the same header."""
    from streamlit import config as st_config

    mapping = st_config.get_option("server.trustedUserHeaders") or {}
    return next((h for h, field in dict(mapping).items() if field == "email"), None)
