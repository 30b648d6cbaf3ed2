"""Behind an authenticating proxy (OLYMPUS_AUTH=proxy), in real Chromium: the proxy's header,
mapped by server.trustedUserHeaders, is the only identity. Playwright's extra_http_headers plays
the proxy, one browser context per person; a request without the header sees only the sign-in
notice."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.test_signin_oidc import ADMIN, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEADER = "X-Forwarded-Email"


@pytest.fixture(scope="module")
def proxied_app():
    yield from serve({"OLYMPUS_AUTH": "proxy", "OLYMPUS_ADMINS": ADMIN},
                     args=("--server.trustedUserHeaders", json.dumps({HEADER: "email"})))


@pytest.fixture()
def through_proxy(browser):
    """through_proxy(email | None) -> a page whose every request carries the proxy's header."""
    contexts = []

    def make(email: str | None):
        headers = {HEADER: email} if email else {}
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      extra_http_headers=headers)
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_the_proxy_header_is_the_identity(through_proxy, proxied_app):
    expect.set_options(timeout=30_000)
    anonymous = through_proxy(None)
    anonymous.goto(proxied_app["url"])
    main = anonymous.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Sign-in required")
    expect(anonymous.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    # nothing to click in the app (no st.login); Streamlit's own toolbar menu is not the app's
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main).not_to_contain_text("Demo")

    admin = through_proxy("Ana@Example.com")
    admin.goto(proxied_app["url"])
    sidebar = admin.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text(ADMIN)
    expect(sidebar).to_contain_text("sign out there")
    expect(admin.locator('[data-testid="stMain"]')).to_contain_text("Demo", timeout=90_000)

    stranger = through_proxy("bob@example.com")  # signed in by the proxy, in no space
    stranger.goto(proxied_app["url"])
    expect(stranger.locator('[data-testid="stMain"]')).to_contain_text("No space yet")
    expect(stranger.locator('[data-testid="stMain"]')).not_to_contain_text("Demo")
