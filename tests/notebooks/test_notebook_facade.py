"""The Workspace notebook methods on the real demo (DuckDB): permissions, versions, diff,
restore, running and stale marking."""

from __future__ import annotations

import pytest

from olympus.notebooks import model as m
from olympus.store import NotFound
from olympus.teams import Forbidden
from tests.notebooks.conftest import as_member


def make(ws, name="Review"):
    cells = [m.new_cell("note", name="intro", markdown="Loans by **status**"),
             m.new_cell("sql", name="by_status", connection="Demo",
                        sql="SELECT status, count(*) AS n FROM loans GROUP BY status ORDER BY 1")]
    return ws.create_notebook(name, cells=cells)


def test_viewers_open_but_cannot_save_or_run(ws, store, settings):
    nb = make(ws)
    viewer = as_member(store, settings, "viewer")
    assert [n.name for n in viewer.notebooks()] == [n.name for n in ws.notebooks()]
    assert viewer.notebook("Review") == nb
    assert viewer.notebook_versions("Review") == []
    for attempt in (lambda: viewer.save_notebook(m.collapse_cell(nb, "intro")),
                    lambda: viewer.create_notebook("Mine"),
                    lambda: viewer.rename_notebook("Review", "X"),
                    lambda: viewer.delete_notebook("Review"),
                    lambda: viewer.run_cell("Review", "by_status"),
                    lambda: viewer.run_all("Review")):
        with pytest.raises(Forbidden):
            attempt()
    assert ws.notebook("Review") == nb  # nothing changed
    editor = as_member(store, settings, "editor")
    assert editor.run_cell("Review", "by_status").status == "ok"
    assert editor.save_notebook(m.collapse_cell(nb, "intro")).cell("intro").collapsed


def test_another_space_sees_nothing(ws, store, settings):
    nb = make(ws)
    outsider = as_member(store, settings, "admin", space="elsewhere", user="eve@x.io")
    assert outsider.notebooks() == []
    for attempt in (lambda: outsider.notebook("Review"), lambda: outsider.notebook(nb.id),
                    lambda: outsider.save_notebook(nb), lambda: outsider.delete_notebook(nb.id),
                    lambda: outsider.notebook_versions(nb.id),
                    lambda: outsider.export_notebook(nb.id, "sql")):
        with pytest.raises(NotFound):
            attempt()


def test_versions_diff_and_restore(ws):
    nb = make(ws)
    v1 = ws.save_notebook(nb, version=True)
    edited = m.update_cell(v1, "by_status", sql="SELECT status FROM loans")
    edited = m.add_cell(edited, m.new_cell("sql", name="extra", connection="Demo",
                                           sql="SELECT 1 AS one"))
    ws.save_notebook(edited)  # autosave: the document changes, no version
    assert ws.notebook("Review").version == 1
    v2 = ws.save_notebook(ws.notebook("Review"), version=True)
    assert v2.version == 2
    change = ws.notebook_diff("Review", 1, 2)
    assert {c.name: c.status for c in change.cells} == \
        {"intro": "same", "by_status": "changed", "extra": "added"}
    text = change.text
    assert "-SELECT status, count(*) AS n FROM loans GROUP BY status ORDER BY 1" in text
    assert "+SELECT status FROM loans" in text and "+SELECT 1 AS one" in text
    assert "--- v1/by_status" in text and "+++ v2/by_status" in text
    assert not ws.notebook_diff("Review", 2).changed  # v2 == current
    restored = ws.restore_notebook("Review", 1)
    assert restored.version == 3 and restored.cells == v1.cells
    assert [(v.number, v.reason) for v in ws.notebook_versions("Review")] == \
        [(3, "restore"), (2, "save"), (1, "save")]
    assert not ws.notebook_diff("Review", 1).changed
    assert ws.notebook_diff("Review", 2).changed


def test_stale_after_an_edit_and_fresh_after_a_run(ws):
    nb = make(ws)
    assert ws.stale_cells("Review") == {"by_status": "never_run"}
    run = ws.run_cell("Review", "by_status")
    assert run.status == "ok" and run.result.row_count >= 3
    assert ws.stale_cells("Review") == {"by_status": "fresh"}
    ws.save_notebook(m.update_cell(nb, "by_status", sql="SELECT 1 AS one"))
    assert ws.stale_cells("Review") == {"by_status": "stale"}
    ws.save_notebook(m.update_cell(nb, "by_status", sql="SELECT nope FROM loans"))
    failed = ws.run_cell("Review", "by_status")
    assert failed.status == "error" and "nope" in failed.error.message
    assert ws.stale_cells("Review") == {"by_status": "failed"}


def test_choice_parameters_list_their_query_values(ws, store, settings):
    region = m.Param("region", "choice", "Region", default="West", connection="Demo",
                     choices_sql="SELECT DISTINCT region FROM branches ORDER BY 1")
    ws.create_notebook("Choices", params=[region, m.Param("n", "number", default=3)])
    assert ws.notebook_param_choices("Choices", "region") == \
        ["Midwest", "Northeast", "Southeast", "Southwest", "West"]
    assert ws.notebook_param_choices("Choices", "n") == []
    with pytest.raises(Forbidden):
        as_member(store, settings, "viewer").notebook_param_choices("Choices", "region")
