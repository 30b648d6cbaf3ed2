"""Pure notebook edits: each returns a new, checked notebook; bad names are clear errors."""

from __future__ import annotations

import pytest

from olympus.errors import ConfigError
from olympus.notebooks import model as m
from olympus.notebooks.notebook_doc import dumps, from_doc


def three() -> m.Notebook:
    nb = m.Notebook(id="n", space="s", name="N")
    for name in ("a", "b", "c"):
        nb = m.add_cell(nb, m.new_cell("sql", name=name, connection="Demo", sql=f"SELECT '{name}'"))
    return nb


def names(nb: m.Notebook) -> list[str]:
    return [c.name for c in nb.cells]


def test_add_move_duplicate_delete_collapse_update():
    nb = three()
    assert names(m.move_cell(nb, "c", 0)) == ["c", "a", "b"]
    assert names(m.move_cell(nb, "a", 99)) == ["b", "c", "a"]
    copied = m.duplicate_cell(nb, "b")
    assert names(copied) == ["a", "b", "b_1", "c"]
    assert copied.cells[2].sql == "SELECT 'b'" and copied.cells[2].id != nb.cells[1].id
    assert names(m.duplicate_cell(copied, "b")) == ["a", "b", "b_2", "b_1", "c"]
    assert names(m.delete_cell(nb, nb.cells[0].id)) == ["b", "c"]  # by id too
    assert m.collapse_cell(nb, "a").cell("a").collapsed is True
    changed = m.update_cell(nb, "a", sql="SELECT 2", view={"kind": "value"})
    assert changed.cell("a").sql == "SELECT 2" and changed.cell("a").view == m.ResultView("value")
    assert changed.cell("a").id == nb.cell("a").id
    assert names(nb) == ["a", "b", "c"]  # the original is untouched (frozen)
    assert names(m.add_cell(nb, m.new_cell("note", name="top"), at=0)) == ["top", "a", "b", "c"]


@pytest.mark.parametrize("bad", ["", "1st", "has space", "semi;colon", "x" * 64, "{{a}}"])
def test_bad_names_are_refused(bad):
    with pytest.raises(ConfigError, match="not a valid cell name") as caught:
        m.add_cell(three(), m.new_cell("sql", name=bad))
    assert caught.value.fields == ("name",)


def test_duplicate_names_across_cells_and_params_are_refused():
    with pytest.raises(ConfigError, match="used twice"):
        m.update_cell(three(), "b", name="A")  # case-insensitive, like SQL identifiers
    with pytest.raises(ConfigError, match="used twice"):
        m.set_param(three(), m.Param("c", "number"))
    with pytest.raises(ConfigError, match="Unknown parameter kind"):
        m.set_param(three(), m.Param("p", "color"))
    with pytest.raises(ConfigError, match="Unknown cell kind"):
        m.add_cell(three(), m.new_cell("python", name="x"))
    with pytest.raises(ConfigError, match="No cell named 'zz'"):
        m.move_cell(three(), "zz", 0)


def test_params_replace_in_place_and_documents_round_trip():
    nb = m.set_param(three(), m.Param("start", "date", default="2024-01-01"))
    nb = m.set_param(nb, m.Param("n", "number", default=5))
    nb = m.set_param(nb, m.Param("start", "date", label="Start", default="2023-01-01"))
    assert [(p.name, p.label) for p in nb.params] == [("start", "Start"), ("n", "")]
    back = from_doc(dumps(nb), id="n", space="s", name="N")
    assert back == nb
    assert [p.name for p in m.remove_param(nb, "start").params] == ["n"]
    with pytest.raises(ConfigError, match="can't be read"):
        from_doc('{"cells": [{"kind": "sql"}]}', id="n", space="s", name="N")


def test_rename_rewrites_the_cells_that_read_it():
    nb = three()
    nb = m.update_cell(nb, "b", sql="SELECT * FROM {{a}} JOIN {{ a }} USING (x) -- {{a}} stays")
    nb = m.update_cell(nb, "c", sql="SELECT '{{a}}' AS literal, n FROM {{a}}")
    renamed = m.rename_cell(nb, "a", "base")
    assert renamed.cells[0].name == "base" and renamed.cells[0].id == nb.cells[0].id
    assert renamed.cell("b").sql == "SELECT * FROM {{base}} JOIN {{base}} USING (x) -- {{a}} stays"
    assert renamed.cell("c").sql == "SELECT '{{a}}' AS literal, n FROM {{base}}"
    with pytest.raises(ConfigError, match="used twice"):
        m.rename_cell(nb, "a", "c")
    with pytest.raises(ConfigError, match="chart spec"):
        m.update_cell(nb, "a", view=m.ResultView("chart", "bar"))
