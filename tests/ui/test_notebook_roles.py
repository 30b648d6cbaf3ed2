"""The Notebooks page by role and with hostile text (AppTest): a viewer reads but gets no editor,
Run or Save (and the core refuses them anyway); a non-member's permalink opens nothing; names,
notes and result values with markdown or HTML are shown as text."""

from __future__ import annotations

import re

import pytest

from olympus.config import Settings
from olympus.notebooks.demo import DEMO_NOTEBOOK
from olympus.notebooks.model import new_cell, update_cell
from olympus.store import Store
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.ui.helpers import no_traceback, shown
from tests.ui.test_identity import ANA, oidc, person, run, teams  # noqa: F401 (fixture)
from tests.ui.test_notebook_page import page, workspace

PAGE = "pages/10_Notebooks.py"
IMG = "<img src=x onerror=alert(1)>"
JS = "[x](javascript:alert(1))"
PIC = "![p](http://evil.test/p.png)"


def as_member(email: str, role: str) -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings,
                     principal=Principal(user=email, space=settings.owner, role=role))


def test_a_viewer_reads_the_notebook_but_cannot_edit_or_run_it(oidc):  # noqa: F811
    run(user=ANA)  # the admin's first sign-in creates the space, the demo and its notebook
    found, _ = teams()
    found.set_member(Settings.from_env().owner, "vic@example.com", "viewer")
    vic = run(PAGE, user=person("vic@example.com"), query={"notebook": DEMO_NOTEBOOK})
    no_traceback(vic)
    labels = {b.label for b in vic.button}
    assert not labels & {"Run all", "Run", "Edit", "Delete", "Save version", "SQL cell",
                         "Open as a new cell", "Restore v1", "Save as verified"}, labels
    assert not vic.get("bidi_component") and not vic.text_area  # no SQL editor
    assert "can read this notebook but not run or edit it" in shown(vic)
    assert "Origination period" in shown(vic) or vic.date_input  # the inputs still show
    viewer = as_member("vic@example.com", "viewer")
    nb = viewer.notebook(DEMO_NOTEBOOK)  # reading is allowed
    with pytest.raises(Forbidden):
        viewer.save_notebook(update_cell(nb, "closing", markdown="defaced"))
    with pytest.raises(Forbidden):
        viewer.run_cell(DEMO_NOTEBOOK, "originated")
    with pytest.raises(Forbidden):
        viewer.run_all(DEMO_NOTEBOOK)


def test_a_permalink_of_another_space_opens_nothing(oidc):  # noqa: F811
    run(user=ANA)
    found, _ = teams()
    other = found.create_space("Other team")
    found.set_member(other, "olga@example.com", "admin")
    olga = run(PAGE, user=person("olga@example.com"),
               query={"notebook": DEMO_NOTEBOOK, "space": Settings.from_env().owner})
    no_traceback(olga)
    assert "No notebook named Lending portfolio review is open to you" in shown(olga)
    assert not [c for c in olga.code] and not olga.metric and not olga.date_input


def test_hostile_names_notes_and_values_are_shown_as_text(app):
    app("app.py")
    ws = workspace()
    name = f"**Q3** {IMG} {JS}"
    note = f"# Title\n{IMG}\n{JS} and {PIC} <script>alert(1)</script>"
    ws.create_notebook(name, cells=(
        new_cell("note", name="hostile_note", markdown=note),
        new_cell("sql", name="hostile_value", connection="Demo", view={"kind": "value"},
                 sql=f"SELECT '{IMG} {JS}' AS v"),
        new_cell("sql", name="hostile_table", connection="Demo",
                 sql=f"SELECT '{PIC}' AS label, 1 AS n"),
    ))
    listing = page()
    no_traceback(listing)
    assert any(b.label.startswith("\\*\\*Q3\\*\\*") for b in listing.button)  # escaped label
    at = page({"notebook": name})
    no_traceback(at)
    at.button(key="nb:run_all").click().run()
    no_traceback(at)
    everything = "\n".join(m.value for m in [*at.markdown, *at.title, *at.caption, *at.metric])
    # no live HTML tag, link or image: every < [ ! is backslash-escaped
    assert not re.search(r"(?<!\\)<(img|script)", everything), everything
    assert not re.search(r"(?<!\\)\]\((javascript|http)", everything), everything
    assert IMG in shown(at) and "javascript:alert(1)" in shown(at)  # the text, read as text
    assert at.metric and "img src" in at.metric[0].value
    frames = [d.value for d in at.dataframe if "label" in d.value.columns]
    assert frames and frames[0]["label"].iloc[0] == PIC  # a value in a table cell is data


def test_save_as_verified_keeps_the_cells_standalone_sql(app):
    app("app.py")
    ws = workspace()
    ws.create_notebook("Verify", cells=(
        new_cell("sql", name="base", connection="Demo", sql="SELECT status FROM loans"),
        new_cell("sql", name="per_status", connection="Demo",
                 sql="SELECT status, count(*) AS n FROM {{base}} GROUP BY 1")))
    at = page({"notebook": "Verify"})
    cell = ws.notebook("Verify").cell("per_status")
    at.button(key=f"nb:{cell.id}:verify").click().run()
    no_traceback(at)
    [kept] = [q for q in ws.verified_queries("Demo") if q.question == "per status"]
    assert kept.source == "notebook" and "{{" not in kept.sql
    assert "main.loans" in kept.tables
    got = ws.run_sql("Demo", kept.sql).df.sort_values("status").reset_index(drop=True)
    want = ws.run_sql("Demo", "SELECT status, count(*) AS n FROM loans GROUP BY 1").df
    assert got.equals(want.sort_values("status").reset_index(drop=True))
    demo = page({"notebook": DEMO_NOTEBOOK})  # its cells read the period parameter
    cell = ws.notebook(DEMO_NOTEBOOK).cell("originated")
    demo.button(key=f"nb:{cell.id}:verify").click().run()
    assert "reads notebook parameters" in shown(demo)
    assert not [q for q in ws.verified_queries("Demo") if q.question == "originated"]


def test_a_viewer_sees_the_last_run_in_the_present_view(oidc):  # noqa: F811
    """Stakeholders are often viewers: the present view shows the results stored with the
    last run (two charts, the total), and opening it runs nothing."""
    from tests.ui.helpers import charts

    run(user=ANA)
    found, _ = teams()
    space = Settings.from_env().owner
    found.set_member(space, "vic@example.com", "viewer")
    admin = as_member("ana@example.com", "admin")
    admin.run_all(DEMO_NOTEBOOK)
    before = len(admin.query_log(limit=500))
    vic = run(PAGE, user=person("vic@example.com"),
              query={"notebook": DEMO_NOTEBOOK, "present": "1"})
    no_traceback(vic)
    assert len(charts(vic)) == 2 and vic.metric, shown(vic)
    assert "results of the last run" in shown(vic)
    assert len(admin.query_log(limit=500)) == before  # nothing ran for the viewer
