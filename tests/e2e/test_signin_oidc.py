"""Sign-in for a team, in real Chromium against a real OpenID Connect provider (oidc-provider-mock):
Streamlit's st.login with an [auth] secrets block, one browser context per person.

The admin (OLYMPUS_ADMINS) signs in, gets the first space with the demo and adds a viewer on the
Members page; the viewer signs in in a second context, sees the connection but has no SQL input;
an account outside OLYMPUS_ALLOWED_DOMAINS is refused; anonymous visitors see only the sign-in
screen; sign-out works.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _stop
from tests.services import ROOT, free_port, start_oidc_provider, unavailable, wait_for_http

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN, VIEWER, OUTSIDER = "ana@example.com", "vic@example.com", "mallory@evil.test"


def serve(env_extra: dict[str, str], *, args: tuple[str, ...] = (),
          secrets: str | None = None, host: str = "127.0.0.1"):
    """`streamlit run app.py` on a free port with a fresh OLYMPUS_HOME; yields its info, then
    stops it. `secrets` is the text of its secrets.toml (given with --secrets.files)."""
    home = Path(tempfile.mkdtemp(prefix="olympus-e2e-signin-"))
    port, log = free_port(), home / "streamlit.log"
    env = {**os.environ, "OLYMPUS_HOME": str(home), "PYTHONUNBUFFERED": "1", **env_extra}
    for name in ("OPENAI_API_KEY", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args]
    if secrets is not None:
        (home / "secrets.toml").write_text(secrets.replace("PORT", str(port)))
        cmd += ["--secrets.files", str(home / "secrets.toml")]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=60, proc=proc)
    except Exception as exc:
        _stop(proc)
        tail = log.read_text(errors="replace")[-2000:]
        unavailable("streamlit run app.py", f"{exc}; log: {tail}")
    try:
        yield {"url": f"http://{host}:{port}", "home": home, "log": log}
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def oidc_provider():
    provider = start_oidc_provider()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def team_app(oidc_provider):
    """The app with OLYMPUS_AUTH=oidc, one admin, example.com only; reached as localhost (the
    redirect URI's host, so the sign-in cookie lands on the same origin)."""
    secrets = f"""
[auth]
redirect_uri = "http://localhost:PORT/oauth2callback"
cookie_secret = "olympus-e2e-cookie-secret-0123456789abcdef"
client_id = "olympus"
client_secret = "olympus-secret"
server_metadata_url = "{oidc_provider.metadata_url}"
"""
    yield from serve({"OLYMPUS_AUTH": "oidc", "OLYMPUS_ADMINS": ADMIN,
                      "OLYMPUS_ALLOWED_DOMAINS": "example.com"},
                     secrets=secrets, host="localhost")


@pytest.fixture()
def person(browser):
    """person() -> a page in a new browser context (its own cookies: one person each)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, url: str, who: str) -> None:
    """Click the app's sign-in button, type the user on the provider's page, come back."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(who)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{url}/**")


def go(page, label: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    expect(page.locator("h1", has_text=label)).to_be_visible()


def test_anonymous_visitor_sees_only_the_sign_in_screen(person, team_app):
    expect.set_options(timeout=30_000)
    page = person()
    for path in ("", "/Ask", "/Connections"):
        page.goto(team_app["url"] + path)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
        expect(page.locator('[data-testid="stChatInput"]')).to_have_count(0)
        expect(page.locator('[data-testid="stMain"]')).not_to_contain_text("Demo")


def test_admin_adds_a_viewer_who_cannot_run_sql(person, team_app, artifacts_dir):
    expect.set_options(timeout=30_000)
    admin = person()
    sign_in(admin, team_app["url"], ADMIN)
    sidebar = admin.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text(ADMIN)
    expect(sidebar).to_contain_text("Your role here: admin")
    expect(admin.locator('[data-testid="stMain"]')).to_contain_text("Demo", timeout=90_000)
    expect(admin).to_have_url(re.compile(r"[?&]space="))

    go(admin, "Members")
    admin.get_by_label("E-mail").fill(VIEWER)
    admin.get_by_role("button", name="Add member").click()
    row = admin.locator('[class*="st-key-member_"]', has_text=VIEWER)
    expect(row).to_be_visible()
    expect(row.get_by_role("combobox", name="Role")).to_have_value("viewer")
    admin.screenshot(path=str(artifacts_dir / "e2e-signin-members.png"))

    viewer = person()  # a second person, with their own cookies
    sign_in(viewer, team_app["url"], VIEWER)
    expect(viewer.locator('[data-testid="stSidebar"]')).to_contain_text(VIEWER)
    expect(viewer.locator('[data-testid="stMain"]')).to_contain_text("Demo")
    expect(viewer.locator('[data-testid="stSidebarNav"] a', has_text="Members")).to_have_count(0)
    go(viewer, "Ask")
    expect(viewer.get_by_text("not run ad-hoc SQL or ask questions")).to_be_visible()
    expect(viewer.locator('[data-testid="stChatInput"]')).to_have_count(0)
    viewer.screenshot(path=str(artifacts_dir / "e2e-signin-viewer-ask.png"))
    expect(admin.locator('[data-testid="stSidebar"]')).to_contain_text(ADMIN)  # still herself


def test_an_account_outside_the_allowed_domains_is_refused(person, team_app):
    expect.set_options(timeout=30_000)
    page = person()
    sign_in(page, team_app["url"], OUTSIDER)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("can't use this Olympus")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("example.com")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    expect(page.locator('[data-testid="stMain"]')).not_to_contain_text("Demo")


def test_sign_out_returns_to_the_sign_in_screen(person, team_app):
    expect.set_options(timeout=30_000)
    page = person()
    sign_in(page, team_app["url"], ADMIN)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(ADMIN)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")  # Streamlit ends the provider's session too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{team_app['url']}/**")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(team_app["url"])  # the cookie is gone: a fresh load is anonymous too
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_have_count(0)  # no name, no pages
