"""Notebooks in real Chromium on the demo: build a notebook with a parameter and a cell that reads
an earlier one (typed into the SQL editor), keep its chart, reload and find it intact with the
chart drawn, restore a version, and the present view without editors or buttons."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import expect

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.e2e.test_app_browser import wait_idle
from tests.e2e.test_chart_browser import coloured_pixels

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "Browser build"
EDITOR = ".olympus-sql"  # the SQL editor's root, drawn in the page (no iframe)
MONTHLY = ("SELECT date_trunc('month', origination_date) AS month, count(*) AS loans "
           "FROM loans GROUP BY 1 ORDER BY 1")
CHAINED = "SELECT month, loans FROM {{query_1}} WHERE loans >= {{min_loans}} ORDER BY month"


def store_ws(home) -> Workspace:
    settings = Settings.from_env({"OLYMPUS_HOME": str(home)})
    return Workspace(Store.from_settings(settings), settings=settings)


def main(page):
    return page.locator('[data-testid="stMain"]')


def type_sql(page, sql: str) -> None:
    """Into the open cell's editor, then Ctrl+Enter (saves and runs it)."""
    root = page.locator(EDITOR).first
    root.locator(".olympus-sql-box").click()  # an empty cell's editor is a shell until then
    content = root.locator(".ace_editor .ace_content")
    expect(content).to_be_visible()
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(sql)  # as pasted: no auto-closed brackets or completion popups
    page.wait_for_timeout(800)  # the editor's debounce sends the change
    page.keyboard.press("Control+Enter")
    wait_idle(page, 60_000)


def click(page, name: str, *, within=None) -> None:
    (within or main(page)).get_by_role("button", name=re.compile(name)).first.click()
    wait_idle(page, 60_000)


def chart_pixels(page, artifacts_dir, tag: str) -> int:
    chart = main(page).locator('[data-testid="stVegaLiteChart"]').first
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    page.wait_for_function("el => el.getBoundingClientRect().height > 150",
                           arg=chart.element_handle())
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1_000)  # Vega's first paint
    return int(coloured_pixels(chart.screenshot(
        path=str(artifacts_dir / f"e2e-notebook-{tag}.png"))).sum())


def test_build_reload_restore_and_present(page, streamlit_server, artifacts_dir):
    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    page.goto(streamlit_server["url"] + "/Notebooks")
    page.locator("h1", has_text="Notebooks").wait_for()
    wait_idle(page, 90_000)
    page.get_by_label("New notebook").fill(NAME)
    click(page, "^Create$")
    expect(page.locator("h1", has_text=NAME)).to_be_visible()
    assert "notebook=Browser+build" in page.url

    # a number parameter
    main(page).get_by_text("Parameters").click()
    form = main(page).locator('[data-testid="stForm"]')
    form.get_by_label("Name").fill("min_loans")
    kind = form.get_by_test_id("stSelectbox").filter(has_text="Kind").first
    expect(kind).to_be_visible()
    page.wait_for_timeout(500)  # the expander's opening animation
    kind.locator("input").click()
    page.get_by_role("option", name="Number", exact=True).click()
    expect(kind.locator("input")).to_have_value("Number")
    form.get_by_label("Default").fill("150")
    click(page, "Add parameter", within=form)
    expect(main(page).get_by_role("spinbutton").first).to_have_value("150")

    # two SQL cells: the second reads the first by name and binds the parameter
    click(page, "SQL cell")
    type_sql(page, MONTHLY)
    expect(main(page)).to_contain_text(re.compile(r"\d+ rows"))
    click(page, "Done")
    click(page, "SQL cell")
    type_sql(page, CHAINED)
    ws = store_ws(streamlit_server["home"])
    want = ws.run_sql("Demo", f"SELECT count(*) FROM ({MONTHLY}) t WHERE loans >= 150").df
    rows = int(want.iloc[0, 0])
    expect(main(page)).to_contain_text(f"{rows} rows")
    click(page, "Keep this view")  # the chart the result view suggests becomes the cell's view
    click(page, "Done")
    nb = ws.notebook(NAME)
    assert [c.sql for c in nb.cells] == [MONTHLY, CHAINED]
    assert nb.cells[1].view.kind == "chart" and nb.params[0].name == "min_loans"

    page.reload()  # a new session: the URL opens the notebook, the results come back (cache)
    expect(page.locator("h1", has_text=NAME)).to_be_visible()
    wait_idle(page, 60_000)
    expect(main(page)).to_contain_text("{{query_1}}")
    assert chart_pixels(page, artifacts_dir, "reloaded") > 2_000

    # versions: save v1, add a note, restore v1 -> the note is gone again
    click(page, "Save version")
    click(page, "Note cell")
    assert len(ws.notebook(NAME).cells) == 3
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Versions").click()
    expect(sidebar).to_contain_text("v1")
    click(page, "Restore v1", within=sidebar)
    expect(main(page).locator('[class*="st-key-nb-cell-"]')).to_have_count(2)
    assert len(ws.notebook(NAME).cells) == 2

    # present view: results and charts, no editor, no code, no buttons
    page.goto(f"{streamlit_server['url']}/Notebooks?notebook={quote_plus(NAME)}&present=1")
    expect(page.locator("h1", has_text=NAME)).to_be_visible()
    wait_idle(page, 60_000)
    assert chart_pixels(page, artifacts_dir, "present") > 2_000
    expect(page.locator(f"{EDITOR}, .stBidiComponent")).to_have_count(0)  # nor a loading one
    controls = ", ".join(f'[data-testid="{t}"]' for t in (
        "stButton", "stDownloadButton", "stPopover", "stTextInput", "stTextArea",
        "stNumberInput", "stDateInput", "stSelectbox", "stForm"))
    expect(main(page).locator(controls)).to_have_count(0)  # (charts keep their own menus)
    expect(main(page).locator('[data-testid="stCode"]')).to_have_count(0)
    expect(main(page)).to_contain_text("Leave the present view")


def test_run_all_shows_progress_and_cancel_stops_the_database(page, streamlit_server):
    from olympus.notebooks.model import new_cell

    ws = store_ws(streamlit_server["home"])
    ws.ensure_demo()
    heavy = "SELECT count(*) AS n FROM loans a, loans b, loans c"
    ws.create_notebook("Long run", cells=(
        new_cell("sql", name="quick", connection="Demo", sql="SELECT 1 AS one"),
        new_cell("sql", name="heavy", connection="Demo", sql=heavy),
        new_cell("sql", name="after", connection="Demo", sql="SELECT 2 AS two")))
    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    page.goto(f"{streamlit_server['url']}/Notebooks?notebook=Long+run")
    expect(page.locator("h1", has_text="Long run")).to_be_visible()
    wait_idle(page, 60_000)
    main(page).get_by_role("button", name="Run all", exact=True).first.click()
    progress = main(page).locator(".st-key-nb-progress")
    expect(progress).to_contain_text("Running cell 2 of 3: heavy")
    started = page.evaluate("performance.now()")
    progress.get_by_role("button", name="Cancel").click()
    expect(main(page)).to_contain_text("Run cancelled", timeout=15_000)
    assert page.evaluate("performance.now()") - started < 10_000
    expect(main(page)).to_contain_text("Stopped after 1 cell")
    assert ws.stale_cells("Long run") == {"quick": "fresh", "heavy": "failed",
                                          "after": "never_run"}
    assert ws.run_sql("Demo", "SELECT 3 AS three").df.iloc[0, 0] == 3  # the database still works


def test_no_critical_axe_violation_on_the_demo_notebook(page, streamlit_server, artifacts_dir):
    import json

    from tests.e2e.test_a11y import axe

    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    page.goto(f"{streamlit_server['url']}/Notebooks?notebook=Lending+portfolio+review")
    expect(page.locator("h1", has_text="Lending portfolio review").first).to_be_visible()
    wait_idle(page, 60_000)
    main(page).get_by_role("button", name="Run all", exact=True).first.click()
    wait_idle(page, 90_000)
    expect(main(page).locator('[data-testid="stVegaLiteChart"]')).to_have_count(2)
    found = {"editing": axe(page)}
    page.goto(f"{streamlit_server['url']}/Notebooks?notebook=Lending+portfolio+review&present=1")
    wait_idle(page, 60_000)
    expect(main(page).locator('[data-testid="stVegaLiteChart"]')).to_have_count(2)
    found["present"] = axe(page)
    (artifacts_dir / "a11y-notebook.json").write_text(json.dumps(found, indent=2))
    critical = [v for views in found.values() for v in views if v["impact"] == "critical"]
    assert not critical, json.dumps(critical, indent=2)


def test_the_sidebar_downloads_the_three_exports(page, streamlit_server, tmp_path):
    import nbformat

    from olympus.notebooks.demo import MONTHLY_LOANS

    page.set_default_timeout(60_000)
    expect.set_options(timeout=30_000)
    page.goto(f"{streamlit_server['url']}/Notebooks?notebook=Lending+portfolio+review")
    expect(page.locator("h1", has_text="Lending portfolio review").first).to_be_visible()
    wait_idle(page, 60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    files = {}
    for label, suffix in ((".sql", "sql"), ("HTML report", "html"), (".ipynb", "ipynb")):
        with page.expect_download(timeout=120_000) as info:
            sidebar.get_by_role("button", name=label).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.suffix == f".{suffix}"
        files[suffix] = path.read_text()
    assert MONTHLY_LOANS.splitlines()[0] in files["sql"]
    assert "Lending portfolio review" in files["html"] and "vega" in files["html"].lower()
    nbformat.validate(nbformat.reads(files["ipynb"], as_version=4))
