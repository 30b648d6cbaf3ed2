"""Schema page, deep links and themes in real Chromium at 1400 px (issue 11).

- A deep link (/Ask, /Schema) as the very first request after a server start shows the app's
  own navigation (Home ... with icons), not Streamlit's pages/ listing ("app | Connections ...").
- "loan" lists the three loan tables with their column and row counts; the open table's row is
  drawn highlighted; a click on a row (or Enter on its name) opens that table; references read
  whole; "Query this table" opens Ask with the starter SELECT in its editor.
- The theme follows the browser (light and dark) and the toolbar menu is there.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_signin_oidc import serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAV = ["Home", "Connections", "Schema", "Ask", "Notebooks", "Schedules", "Glossary", "Activity",
       "Performance", "Verified queries"]


@pytest.fixture()
def fresh_app():
    """A server no session has opened yet (the deep-link bug needs exactly that)."""
    yield from serve({})


@pytest.fixture(scope="module")
def schema_app():
    yield from serve({})


def at_1400(browser, scheme: str = "light"):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
    context.set_default_timeout(60_000)
    return context, context.new_page()


def settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
    page.wait_for_timeout(600)


@pytest.mark.parametrize("path", ["Ask", "Schema"])
def test_a_deep_link_first_after_a_server_start_shows_the_app_navigation(browser, fresh_app,
                                                                         path):
    expect.set_options(timeout=60_000)
    context, page = at_1400(browser)
    page.goto(f"{fresh_app['url']}/{path}")
    page.locator("h1", has_text=path).wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]')
    links = nav.locator("a")
    expect(links).to_have_count(len(NAV))
    # "Home", not "app"; the page titles, not file names (each after its icon's ligature text)
    expect(links).to_have_text([re.compile(f"{label}$") for label in NAV])
    expect(nav.locator('[data-testid="stIconMaterial"]')).to_have_count(len(NAV))
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("This session"
                                                                      if path == "Ask" else "")
    assert page.url.endswith(f"/{path}")
    context.close()


def test_schema_filter_counts_highlight_and_query_this_table(browser, schema_app,
                                                             artifacts_dir):
    expect.set_options(timeout=60_000)
    context, page = at_1400(browser)
    page.goto(f"{schema_app['url']}/Schema")
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("8 tables and views")
    settle(page)
    page.get_by_placeholder("Filter tables by name").fill("loan")
    page.keyboard.press("Enter")
    expect(main).to_contain_text("3 matches")
    settle(page)
    grid = page.get_by_role("table", name="Tables")
    rows = grid.get_by_role("row")
    expect(rows).to_have_count(4)  # header + loans, loan_officers, loan_products
    expect(rows.first).to_contain_text(re.compile("table.*cols.*rows"))
    expect(rows.nth(1)).to_contain_text(re.compile(r"^loans\s*15\s*12.5K"))
    expect(rows.nth(1).get_by_role("cell").nth(2)).to_have_attribute("title", "12,506")
    expect(main).to_contain_text("mention")  # the description-only matches are counted
    page.get_by_role("button", name="Query this table").wait_for()
    assert highlighted_rows(grid) == 1  # the open table's row (loans, first) is drawn marked
    columns = page.get_by_role("table", name="Columns of main.loans")
    expect(columns.get_by_role("row").filter(has_text="customer_id")).to_contain_text(
        "customers.customer_id")  # the reference whole, not cut
    page.screenshot(path=str(artifacts_dir / "e2e-schema-1400.png"))

    grid.get_by_role("button", name="loan_products").click()  # a click on its row opens it
    page.locator("h3", has_text="main.loan_products").wait_for()
    expect(grid.locator("tr.is-open")).to_have_text(re.compile("^loan_products"))
    grid.get_by_role("button", name="loan_officers").focus()  # and so does the keyboard
    page.keyboard.press("Enter")
    page.locator("h3", has_text="main.loan_officers").wait_for()
    expect(grid.get_by_role("button", name="loan_officers")).to_have_attribute(
        "aria-current", "true")
    settle(page)
    grid.get_by_role("button", name="loans", exact=True).click()
    page.locator("h3", has_text="main.loans").wait_for()
    settle(page)

    page.get_by_role("button", name="Query this table").click()
    page.wait_for_url(re.compile(r"/Ask$"))
    page.locator("h1", has_text="Ask").wait_for()
    settle(page)
    assert editor_text(page, "FROM main.loans"), "the starter SELECT is not in Ask's editor"
    page.screenshot(path=str(artifacts_dir / "e2e-schema-query-this-table.png"))
    context.close()


def highlighted_rows(grid) -> int:
    """Bands of the table's rows tinted indigo (blue well above red, unlike white
    rows and the grey header), counted down a screenshot of the grid."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(grid.screenshot())).convert("RGB")
    width, height = image.size
    bands, inside = 0, False
    for y in range(height):
        line = [image.getpixel((x, y)) for x in range(60, width - 10, 4)]
        tinted = sum(b - r > 25 and r > 150 for r, g, b in line) > len(line) // 2
        bands += tinted and not inside
        inside = tinted
    return bands


def editor_text(page, needle: str, timeout_s: float = 30.0) -> bool:
    """Whether the needle shows in the page or in any frame (editors live in component iframes)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if needle in frame.locator("body").inner_text(timeout=2_000):
                    return True
            except Exception:  # a frame that went away mid-read: look again
                continue
        page.wait_for_timeout(500)
    return False


@pytest.mark.parametrize("scheme,background", [("light", "rgb(255, 255, 255)"),
                                               ("dark", "rgb(18, 20, 28)")])
def test_the_theme_follows_the_browser_and_the_menu_is_there(browser, schema_app, scheme,
                                                             background):
    context, page = at_1400(browser, scheme)
    page.goto(schema_app["url"])
    page.locator("h1", has_text="Olympus").wait_for()
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_css("background-color", background)
    settle(page)
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuPopover"]')
    expect(menu).to_contain_text("Light")  # the theme switch
    expect(menu).to_contain_text("Dark")
    context.close()
