"""Sign-in, spaces and roles in the app (AppTest): who the user is decides what each page shows.

The browser half (a real OIDC provider, st.login, cookies, proxy headers) is tests/e2e/test_signin*.
"""

from __future__ import annotations

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.store import Store
from olympus.store_audit import AuditFilter, AuditLog
from olympus.store_teams import Teams
from tests.services import ROOT
from tests.ui.helpers import button, no_traceback, shown

AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 40, "client_id": "olympus", "client_secret": "s",
                 "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}}
ANA = {"is_logged_in": True, "email": "Ana@Example.com", "email_verified": True, "sub": "ana"}


def person(email: str, **claims) -> dict:
    return {"is_logged_in": True, "email": email, "sub": email, **claims}


@pytest.fixture()
def oidc(olympus_home, monkeypatch):
    monkeypatch.setenv("OLYMPUS_AUTH", "oidc")
    monkeypatch.setenv("OLYMPUS_ADMINS", "ana@example.com")
    return olympus_home


def run(path: str = "app.py", *, user: dict, secrets: dict | None = None,
        query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    at.user, at.secrets = user, AUTH if secrets is None else secrets
    at.query_params.update(query or {})
    return at.run()


def teams() -> tuple[Teams, Store]:
    store = Store.from_settings(Settings.from_env())
    return Teams(store), store


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_anonymous_visitor_sees_only_the_sign_in_screen(oidc):
    for path in ("app.py", "pages/1_Connections.py", "pages/3_Ask.py", "pages/4_Members.py"):
        at = run(path, user={"is_logged_in": False})
        no_traceback(at)
        assert [b.label for b in at.button] == ["Sign in"], path
        assert "Sign in to use Olympus" in shown(at)
        assert not at.chat_input and not at.text_input and not at.subheader, path
    _, store = teams()
    assert store.list_connections(Settings.from_env().owner) == []  # nothing was bootstrapped


def test_oidc_without_an_auth_section_says_what_is_missing(oidc):
    at = run(user={"is_logged_in": False}, secrets={})
    assert "Sign-in is not configured" in shown(at) and "[auth]" in shown(at)
    assert not at.button


def test_admin_signs_in_lands_in_the_first_space_with_the_demo(oidc):
    at = run(user=ANA)
    no_traceback(at)
    space = Settings.from_env().owner
    assert "ana@example.com" in texts(at)  # verified e-mail, lower-cased, as plain text
    assert "Your role here: admin" in shown(at)
    assert at.query_params["space"] == space  # shared links land in this room
    assert "Demo" in shown(at)
    assert [b.label for b in at.button].count("Sign out") == 1
    at.run()  # a rerun in the same session is not a second sign-in
    _, store = teams()
    rows = AuditLog(store).entries(AuditFilter(space=space, action="sign_in"))
    assert [(r.user, r.status) for r in rows] == [("ana@example.com", "ok")]


def test_a_domain_outside_the_allowed_list_is_refused(oidc, monkeypatch):
    monkeypatch.setenv("OLYMPUS_ALLOWED_DOMAINS", "example.com")
    monkeypatch.setenv("OLYMPUS_ADMINS", "ana@example.com,mallory@evil.test")
    at = run("pages/3_Ask.py", user=person("mallory@evil.test"))
    no_traceback(at)
    assert "mallory@evil.test can't use this Olympus" in shown(at)
    assert "example.com" in shown(at)
    assert not at.chat_input and [b.label for b in at.button] == ["Sign out"]
    found, _ = teams()
    assert found.spaces_for("mallory@evil.test") == []  # refused before any bootstrap


def test_a_user_in_no_space_is_told_to_ask_an_admin(oidc):
    at = run(user=person("bob@example.com"))
    no_traceback(at)
    assert "No space yet" in shown(at) and "ask an admin" in shown(at).lower()
    assert "bob@example.com is not a member of any space yet." in shown(at)
    assert not at.chat_input and "Demo" not in shown(at)


def test_an_unverified_email_is_not_used_as_identity(oidc):
    at = run(user=person("ana@example.com", email_verified=False, sub="google-123"))
    assert "google-123 is not a member of any space yet." in shown(at)


def test_viewer_and_editor_see_only_what_their_role_can_use(oidc):
    run(user=ANA)  # the admin's first sign-in creates the space and the demo
    found, _ = teams()
    space = Settings.from_env().owner
    found.set_member(space, "vic@example.com", "viewer")
    found.set_member(space, "eve@example.com", "editor")
    vic = run("pages/3_Ask.py", user=person("vic@example.com"))
    no_traceback(vic)
    assert not vic.chat_input and "can't" not in shown(vic)
    assert "not run ad-hoc SQL or ask questions" in shown(vic)
    assert not [b for b in vic.button if b.label.startswith("Loans")]  # no example queries
    conns = run("pages/1_Connections.py", user=person("vic@example.com"))
    assert [b.label for b in conns.button] == ["Test"]  # no add, edit or delete
    assert "admins add, edit and remove them" in shown(conns)
    eve = run("pages/3_Ask.py", user=person("eve@example.com"))
    assert eve.chat_input  # editors run ad-hoc SQL
    members = run("pages/4_Members.py", user=person("eve@example.com"))
    assert "Only admins of this space manage its members" in shown(members)
    assert not members.text_input


def test_admin_manages_members_and_grants_on_the_members_page(oidc):
    run(user=ANA)
    space = Settings.from_env().owner
    found, _ = teams()
    at = run("pages/4_Members.py", user=ANA)
    no_traceback(at)
    odd = "**bold**[x](http://evil.test)@example.com"
    for email, role in (("vic@example.com", "viewer"), (odd, "editor")):
        at.text_input(key="member:email").input(email)
        at.selectbox(key="member:role").set_value(role)
        button(at, "Add member").click().run()
        no_traceback(at)
    assert dict(found.members(space))["vic@example.com"] == "viewer"
    assert odd.lower() in texts(at)  # an e-mail is shown as plain text, never markdown
    at.selectbox(key="role:vic@example.com").set_value("editor").run()
    assert dict(found.members(space))["vic@example.com"] == "editor"
    at.multiselect(key="grants:Demo:users").set_value(["ana@example.com"])
    button(at, "Save access").click().run()
    no_traceback(at)
    vic = run("pages/3_Ask.py", user=person("vic@example.com"))
    assert "No connections yet" in shown(vic)  # Demo is limited to ana now
    removes = [b for b in at.button if b.label == "Remove"]
    assert len(removes) == 2  # ana's own row has no controls: she can't lock herself out
    at.button(key="remove:vic@example.com").click().run()
    assert "vic@example.com" not in dict(found.members(space))


def test_space_comes_from_the_url_and_the_switcher_writes_it_back(oidc):
    run(user=ANA)
    found, _ = teams()
    first = Settings.from_env().owner
    sales = found.create_space("Sales")
    found.set_member(sales, "ana@example.com", "editor")
    at = run(user=ANA, query={"space": sales})
    no_traceback(at)
    assert at.query_params["space"] == sales and "Your role here: editor" in shown(at)
    assert "Demo" not in shown(at)  # the demo belongs to the first space
    at.selectbox(key="olympus:space_pick").set_value(first).run()
    assert at.query_params["space"] == first and "Your role here: admin" in shown(at)
    outsider = run(user=ANA, query={"space": "no-such-space"})
    assert outsider.query_params["space"] == first  # not a member there: her first space


def test_proxy_mode_reads_the_trusted_header_only(olympus_home, monkeypatch):
    monkeypatch.setenv("OLYMPUS_AUTH", "proxy")
    monkeypatch.setenv("OLYMPUS_ADMINS", "ana@example.com")
    anonymous = run(user={}, secrets={})
    assert "Sign-in required" in shown(anonymous) and not anonymous.button
    at = run(user={"email": "Ana@Example.com"}, secrets={})
    no_traceback(at)
    assert "ana@example.com" in texts(at) and "sign out there" in shown(at)


@pytest.mark.parametrize(("address", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_local_mode_says_when_it_is_reachable_beyond_loopback(olympus_home, address, warned):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", address)
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    finally:
        st_config.set_option("server.address", before)
    no_traceback(at)
    said = "anyone who reaches its address acts as the same user" in shown(at)
    assert said is warned
    assert not at.text or "Signed in as" not in shown(at)  # no sign-in chrome locally


@pytest.mark.parametrize(("host", "local"), [
    ("localhost:8501", True), ("127.0.0.1:8501", True), ("[::1]:8501", True),
    ("olympus.example.com", False), ("10.0.0.7:8501", False), ("[2001:db8::1]:80", False)])
def test_the_host_a_visitor_used_decides_loopback(host, local):
    from olympus.ui.identity import _hostname, _loopback

    assert _loopback(_hostname(host)) is local
