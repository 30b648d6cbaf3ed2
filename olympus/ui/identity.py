"""Who the user is: the one place that reads `st.user` (OLYMPUS_AUTH none | oidc | proxy), and
the screens shown instead of a page when nobody (or nobody allowed) is signed in."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Callable

import streamlit as st

from olympus.teams import NoSpace, Principal, local_principal, principal_for

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.store import Store

SPACE_PARAM = "space"  # ?space=... so a shared link lands in the right room
_LAST_SPACE = "olympus:space"  # the URL's query is dropped when the page changes
_PICKER = "olympus:space_pick"
_AUDITED = "olympus:signed_in"


class SignedOut(Exception):
    """Nobody is signed in in this session."""


class DomainRefused(Exception):
    """A signed-in identity outside OLYMPUS_ALLOWED_DOMAINS."""


# ---- deciding ---------------------------------------------------------------------------------
def signed_in_identity(config: "Settings") -> str | None:
    """The e-mail (else `sub`) of the signed-in user; None for an anonymous visitor.

    oidc: Streamlit's login cookie; an e-mail the provider marks unverified is not used.
    proxy: the header `server.trustedUserHeaders` maps to `email` (the proxy signs people in)."""
    user = st.user
    if config.auth == "proxy":
        value = user.get("email")
        return str(value).strip().lower() or None if value else None
    if not user.get("is_logged_in"):
        return None
    email = user.get("email")
    if email and user.get("email_verified") is not False:
        return str(email).strip().lower()
    sub = user.get("sub")
    return str(sub).strip() if sub else None


def domain_allowed(identity: str, config: "Settings") -> bool:
    """OLYMPUS_ALLOWED_DOMAINS, when set, is the whole list of e-mail domains let in."""
    if not config.allowed_domains:
        return True
    domain = identity.rsplit("@", 1)[1].lower() if "@" in identity else ""
    return domain in config.allowed_domains


def requested_space() -> str | None:
    """The space named in the URL, else the one chosen last in this session."""
    return st.query_params.get(SPACE_PARAM) or st.session_state.get(_LAST_SPACE)


def resolve(config: "Settings", store: "Store") -> Principal:
    """This session's principal, or SignedOut / DomainRefused / NoSpace."""
    if config.auth == "none":
        return local_principal(config)
    identity = signed_in_identity(config)
    if identity is None:
        raise SignedOut()
    if not domain_allowed(identity, config):
        raise DomainRefused(identity)
    return principal_for(store, config, identity, requested_space())


def gate(config: "Settings | None" = None, *,
         hide: Callable[[], object] | None = None) -> Principal:
    """The principal of this run; otherwise the sign-in, refused or no-space screen, and the
    script stops there (nothing of the page is rendered). `hide` runs first on a screen: app.py
    passes its navigation, hidden, so no page link shows."""
    from olympus.ui import resources

    config = config or resources.settings()
    try:
        who = resolve(config, resources.store(config))
    except (SignedOut, DomainRefused, NoSpace) as exc:
        if hide is not None:
            hide()
        screen(config, exc)
        st.stop()
    if config.auth != "none":
        remember_space(who.space)
    return who


def screen(config: "Settings", exc: Exception) -> None:
    """What is shown instead of a page."""
    if isinstance(exc, DomainRefused):
        refused_screen(config, str(exc))
    elif isinstance(exc, NoSpace):
        no_space_screen(config, exc)
    else:
        sign_in_screen(config)


def remember_space(space: str) -> None:
    """Keep the chosen space in the session and the URL (shared links land in the same room)."""
    st.session_state[_LAST_SPACE] = space
    if st.query_params.get(SPACE_PARAM) != space:
        st.query_params[SPACE_PARAM] = space


def audit_sign_in(ws) -> None:
    """One 'sign_in' audit row per session and user, when the audit log exists."""
    if ws.settings.auth == "none" or not callable(getattr(ws, "audit", None)):
        return
    if st.session_state.get(_AUDITED) == ws.principal.user:
        return
    st.session_state[_AUDITED] = ws.principal.user
    try:
        ws.audit("sign_in", status="ok")
    except Exception:  # the audit trail must never lock a user out of the app
        st.session_state.pop(_AUDITED, None)


# ---- screens ----------------------------------------------------------------------------------
def _title() -> None:
    st.title(":material/insights: Olympus", anchor=False)


def sign_in_screen(config: "Settings") -> None:
    """All an anonymous visitor sees."""
    _title()
    if config.auth == "proxy":
        st.warning("**Sign-in required.** This Olympus sits behind your company's sign-in proxy, "
                   "and this request reached it without a signed-in user. Open the app through "
                   "its usual address so the proxy can sign you in.", icon=":material/lock:")
        return
    providers = _providers()
    if providers is None:
        st.error("**Sign-in is not configured.** OLYMPUS_AUTH is `oidc`, but "
                 "`.streamlit/secrets.toml` has no `[auth]` section. An administrator must add "
                 "it (see the README, \"Host it for your team\").", icon=":material/lock:")
        return
    st.info("Sign in to use Olympus.", icon=":material/lock:")
    for provider in providers:
        label = "Sign in" if provider is None else f"Sign in with {provider.title()}"
        if st.button(label, type="primary", icon=":material/login:", key=f"login:{provider}"):
            st.login(provider)


def _providers() -> list[str | None] | None:
    """[None] for a single `[auth]` provider, the names of `[auth.NAME]` sections otherwise;
    None when there is no `[auth]` section at all."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file
        return None
    if not section:
        return None
    named = [k for k, v in section.items() if hasattr(v, "keys")]
    return [None] if "client_id" in section or not named else named


def refused_screen(config: "Settings", identity: str) -> None:
    _title()
    domains = ", ".join(config.allowed_domains)
    st.error(f"**{_md(identity)} can't use this Olympus.** Only accounts from these domains are "
             f"allowed: {_md(domains)}. Sign out and sign in with your work account.",
             icon=":material/block:")
    sign_out_button(config)


def no_space_screen(config: "Settings", exc: NoSpace) -> None:
    _title()
    st.warning(f"**No space yet.** {_md(exc.message)} A space is a team's room in Olympus; ask an "
               "admin of your team to add you (Members page), then reload this page.",
               icon=":material/group_off:")
    sign_out_button(config)


def sign_out_button(config: "Settings") -> None:
    if config.auth == "oidc" and st.button("Sign out", icon=":material/logout:", key="logout"):
        st.logout()


def _md(value: object) -> str:
    from olympus.ui.safe_text import md_text

    return md_text(value)


# ---- on every signed-in page --------------------------------------------------------------------
def sidebar(config: "Settings", who: Principal) -> None:
    """Who is signed in, the space switcher and sign-out (nothing in local mode)."""
    if config.auth == "none":
        return
    from olympus.store_teams import Teams
    from olympus.ui import resources

    teams = Teams(resources.store(config))
    mine = dict(teams.spaces_for(who.user))
    names = {i: n for i, n in teams.spaces() if i in mine}
    with st.sidebar:
        st.caption("Signed in as")
        st.text(who.user)
        if len(names) > 1:
            st.session_state[_PICKER] = who.space
            st.selectbox("Space", list(names), key=_PICKER, format_func=names.get,
                         on_change=_switch_space)
        else:
            st.caption("Space")
            st.text(names.get(who.space, who.space))
        st.caption(f"Your role here: {who.role}")
        if config.auth == "proxy":
            st.caption("Signed in by your company's proxy; sign out there.")
        sign_out_button(config)


def _switch_space() -> None:
    remember_space(st.session_state[_PICKER])


def exposure_warning(config: "Settings") -> None:
    """Local mode reachable beyond this machine: say plainly that everyone is the same user."""
    if config.auth != "none" or not exposed():
        return
    st.warning("**No sign-in:** this Olympus is reachable beyond this computer, and anyone who "
               "reaches its address acts as the same user, with every connection. Set "
               "`OLYMPUS_AUTH` (see the README, \"Host it for your team\") or start it on "
               "127.0.0.1 only.", icon=":material/public:")


def exposed() -> bool:
    """True unless the server listens on loopback only and was reached through loopback."""
    from streamlit import config as st_config

    address = str(st_config.get_option("server.address") or "")  # empty = every interface
    try:
        host = st.context.headers.get("Host") or ""
    except Exception:  # no request (e.g. AppTest)
        host = ""
    return not (_loopback(address) and (not host or _loopback(_hostname(host))))


def _hostname(host: str) -> str:
    host = host.strip()
    if host.startswith("["):  # [::1]:8501
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _loopback(name: str) -> bool:
    if name.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
