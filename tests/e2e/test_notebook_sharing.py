"""Notebook permalinks with sign-in on (proxy mode, real Chromium, one context per person): the
admin copies a link to one cell in the present view; another member of the space opens it in a
second context and sees that cell's chart; a signed-in person of another space is refused."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import expect

from olympus.config import Settings
from olympus.notebooks.demo import DEMO_NOTEBOOK
from olympus.store import Store
from olympus.store_teams import Teams
from tests.e2e.test_app_browser import wait_idle
from tests.e2e.test_notebook_browser import chart_pixels, main
from tests.e2e.test_signin_oidc import ADMIN, serve
from tests.e2e.test_signin_proxy import HEADER, through_proxy  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def proxied_app():
    yield from serve({"OLYMPUS_AUTH": "proxy", "OLYMPUS_ADMINS": ADMIN},
                     args=("--server.trustedUserHeaders", json.dumps({HEADER: "email"})))


def teams(home) -> tuple[Teams, Settings]:
    settings = Settings.from_env({"OLYMPUS_HOME": str(home), "OLYMPUS_AUTH": "proxy",
                                  "OLYMPUS_ADMINS": ADMIN})
    return Teams(Store.from_settings(settings)), settings


def test_a_member_opens_the_permalink_and_a_non_member_is_refused(through_proxy,  # noqa: F811
                                                                   proxied_app, artifacts_dir):
    expect.set_options(timeout=60_000)
    base = proxied_app["url"]
    admin = through_proxy(ADMIN)
    admin.goto(base)  # the admin's first visit creates the space, the demo and its notebook
    expect(main(admin)).to_contain_text("Demo", timeout=90_000)
    admin.goto(f"{base}/Notebooks?notebook={quote_plus(DEMO_NOTEBOOK)}")
    expect(admin.locator("h1", has_text=DEMO_NOTEBOOK).first).to_be_visible()
    wait_idle(admin, 60_000)
    main(admin).get_by_role("button", name="Run all", exact=True).first.click()
    wait_idle(admin, 90_000)
    admin.get_by_role("button", name="Copy link").click()
    popover = admin.locator('[data-testid="stPopoverBody"]')
    popover.get_by_test_id("stSelectbox").first.locator("input").click()
    admin.get_by_role("option", name="monthly_loans", exact=True).click()
    popover.get_by_text("Open in the present view").click()
    wait_idle(admin)
    link = popover.locator('[data-testid="stCode"]').inner_text().strip()
    assert "cell=monthly_loans" in link and "present=1" in link and "space=" in link, link

    found, settings = teams(proxied_app["home"])
    found.set_member(settings.owner, "bob@example.com", "editor")
    other = found.create_space("Elsewhere")
    found.set_member(other, "eve@example.com", "viewer")  # no demo of her own there

    bob = through_proxy("bob@example.com")  # another member of the space, second context
    bob.goto(link)
    expect(bob.locator("h1", has_text=DEMO_NOTEBOOK).first).to_be_visible()
    wait_idle(bob, 60_000)
    expect(main(bob)).to_contain_text("monthly_loans")
    expect(main(bob)).not_to_contain_text("by_category")  # only the linked cell
    expect(bob.locator(".olympus-sql, .stBidiComponent")).to_have_count(0)  # no SQL editor
    assert chart_pixels(bob, artifacts_dir, "permalink-member") > 2_000

    eve = through_proxy("eve@example.com")  # signed in, but of another space
    eve.goto(link)
    expect(main(eve)).to_contain_text("No notebook named Lending portfolio review is open to you")
    expect(main(eve)).not_to_contain_text("monthly_loans")
    expect(main(eve).locator('[data-testid="stVegaLiteChart"]')).to_have_count(0)
