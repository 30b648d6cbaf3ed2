"""Notebooks, versions and run states in a real store (SQLite file and PostgreSQL)."""

from __future__ import annotations

import pytest

from olympus.errors import ConfigError
from olympus.notebooks import model as m
from olympus.notebooks.store import NotebookStore, RunState
from olympus.store import NotFound
from olympus.store_db import now


def sample() -> m.Notebook:
    nb = m.Notebook(id="", space="team", name="Q3 review")
    nb = m.add_cell(nb, m.new_cell("note", name="intro", markdown="# Hello *team*"))
    nb = m.add_cell(nb, m.new_cell("sql", name="monthly", connection="Demo",
                                   sql="SELECT 1 AS n", view={"kind": "chart", "chart": {
                                       "mark": "bar", "x": "month", "y": "n"}}))
    nb = m.add_cell(nb, m.new_cell("question", name="top", connection="Demo",
                                   question="Top branches?"))
    return m.set_param(nb, m.Param("period", "date_range", "Period",
                                   default=["2024-01-01", "2024-12-31"]))


def test_round_trip_keeps_every_field(any_store):
    notebooks = NotebookStore(any_store)
    draft = sample()
    created = notebooks.create("team", draft, "ann@x.io")
    assert created.id and created.version == 0 and created.updated_by == "ann@x.io"
    again = notebooks.get("team", "Q3 review")
    assert again == notebooks.get("team", created.id) == created
    assert again.cells == draft.cells and again.params == draft.params
    assert again.cells[1].view == m.ResultView("chart", {"mark": "bar", "x": "month", "y": "n"})
    assert again.params[0].default == ["2024-01-01", "2024-12-31"]
    assert [n.name for n in notebooks.list("team")] == ["Q3 review"]
    assert notebooks.list("other") == []


def test_names_are_unique_per_space_and_spaces_are_apart(any_store):
    notebooks = NotebookStore(any_store)
    notebooks.create("team", sample(), "ann")
    with pytest.raises(ConfigError, match="already exists"):
        notebooks.create("team", sample(), "bob")
    theirs = notebooks.create("other", sample(), "eve")  # same name, other space: fine
    with pytest.raises(NotFound):
        notebooks.get("team", theirs.id)  # another space's id is not found
    with pytest.raises(NotFound):
        notebooks.save("team", theirs, "ann")
    with pytest.raises(NotFound):
        notebooks.delete("team", theirs.id)
    assert notebooks.get("other", theirs.id).name == "Q3 review"


def test_autosave_versions_and_rename(any_store):
    notebooks = NotebookStore(any_store)
    nb = notebooks.create("team", sample(), "ann")
    edited = m.update_cell(nb, "monthly", sql="SELECT 2 AS n")
    saved = notebooks.save("team", edited, "bob")  # autosave: no version
    assert saved.version == 0 and saved.cell("monthly").sql == "SELECT 2 AS n"
    assert notebooks.versions("team", nb.id) == []
    v1 = notebooks.save("team", saved, "bob", reason="save")
    v2 = notebooks.save("team", m.delete_cell(v1, "top"), "ann", reason="run_all")
    assert (v1.version, v2.version) == (1, 2)
    assert [(v.number, v.reason, v.created_by) for v in notebooks.versions("team", nb.id)] == \
        [(2, "run_all", "ann"), (1, "save", "bob")]
    old = notebooks.version("team", nb.id, 1)
    assert [c.name for c in old.cells] == ["intro", "monthly", "top"] and old.version == 1
    with pytest.raises(NotFound, match="no version 7"):
        notebooks.version("team", nb.id, 7)
    renamed = notebooks.rename("team", "Q3 review", "Q4 review", "ann")
    assert renamed.id == nb.id and notebooks.get("team", "Q4 review").version == 2
    notebooks.create("team", m.Notebook(id="", space="team", name="Other"), "ann")
    with pytest.raises(ConfigError, match="already exists"):
        notebooks.rename("team", "Q4 review", "Other", "ann")


def test_delete_removes_versions_and_runs(any_store):
    notebooks = NotebookStore(any_store)
    nb = notebooks.save("team", notebooks.create("team", sample(), "ann"), "ann", reason="save")
    notebooks.record_run(nb.id, RunState(nb.cells[1].id, "f1", "ok", 3, 1.5, None, now(), "ann"))
    notebooks.record_run(nb.id, RunState(nb.cells[1].id, "f2", "error", None, 2.0, "boom",
                                         now(), "bob"))
    state = notebooks.runs(nb.id)[nb.cells[1].id]
    assert (state.fingerprint, state.status, state.error, state.ran_by) == \
        ("f2", "error", "boom", "bob")
    notebooks.delete("team", "Q3 review")
    with pytest.raises(NotFound):
        notebooks.get("team", nb.id)
    assert notebooks.runs(nb.id) == {}
    created = notebooks.create("team", sample(), "ann")  # the name is free again
    assert notebooks.versions("team", created.id) == []


def test_a_broken_document_is_a_clear_error(any_store):
    import sqlalchemy as sa

    from olympus.notebooks.notebook_tables import notebooks as table

    notebooks = NotebookStore(any_store)
    nb = notebooks.create("team", sample(), "ann")
    with any_store._write() as conn:
        conn.execute(sa.update(table).where(table.c.id == nb.id).values(doc_json="{not json"))
    with pytest.raises(ConfigError, match="can't be read"):
        notebooks.get("team", nb.id)
