"""Accessibility in real Chromium (issue 11): axe-core (vendored, tests/e2e/vendor/) finds no
"critical" violation on Home, Connections, Schema, Ask, Members and Activity, in the light and
the dark theme. Served behind a header-trusting proxy so the admin-only pages are reachable.
Everything axe reports is written to test-artifacts/a11y-<scheme>.json for the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_signin_oidc import ADMIN, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
HEADER = "X-Forwarded-Email"
PAGES = ("Home", "Connections", "Schema", "Ask", "Members", "Activity")
RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def a11y_app():
    yield from serve({"OLYMPUS_AUTH": "proxy", "OLYMPUS_ADMINS": ADMIN},
                     args=("--server.trustedUserHeaders", json.dumps({HEADER: "email"})))


def admin_page(browser, scheme: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme,
                                  extra_http_headers={HEADER: ADMIN})
    context.set_default_timeout(60_000)
    return context, context.new_page()


def settle(page) -> None:
    """Wait until the script run is over (Streamlit's 'Running' widget gone) and paint is done."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
    page.wait_for_timeout(800)


def axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    return page.evaluate(RUN_AXE)


def visit(page, label: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    page.locator("h1", has_text="Olympus" if label == "Home" else label).first.wait_for()
    settle(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_critical_axe_violation_on_any_page(browser, a11y_app, artifacts_dir, scheme):
    expect.set_options(timeout=60_000)
    context, page = admin_page(browser, scheme)
    page.goto(a11y_app["url"])
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Demo", timeout=90_000)
    settle(page)
    background = page.evaluate(
        "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
    found = {}
    for label in PAGES:
        if label != "Home":
            visit(page, label)
        found[label] = axe(page)
    context.close()
    (artifacts_dir / f"a11y-{scheme}.json").write_text(json.dumps(found, indent=2))
    critical = {label: [v for v in found[label] if v["impact"] == "critical"] for label in PAGES}
    assert not any(critical.values()), json.dumps(critical, indent=2)


def test_the_axe_check_sees_a_critical_violation_when_there_is_one(browser, a11y_app):
    """The harness itself: an image without alt text and a nameless button are critical."""
    context, page = admin_page(browser, "light")
    page.goto(a11y_app["url"] + "/Schema")
    page.locator("h1", has_text="Schema").wait_for()
    settle(page)
    page.evaluate("""() => {
      const main = document.querySelector('[data-testid=stMain]');
      const img = document.createElement('img'); img.src = 'data:,'; main.appendChild(img);
      const b = document.createElement('button'); main.appendChild(b);
    }""")
    ids = {v["id"] for v in axe(page) if v["impact"] == "critical"}
    context.close()
    assert {"image-alt", "button-name"} <= ids, ids
