"""Messages on the Connections forms describe the values on screen: changing any input (the
type, the name, a field) clears the error about the old values at once, not on the next submit."""

from __future__ import annotations

import duckdb
import pytest

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ui.helpers import button, no_traceback, shown

TAKEN = "A connection named 'Demo' already exists."


def workspace() -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)


@pytest.fixture()
def page(app, tmp_path, monkeypatch):
    """The Connections page next to the demo, with the add form open; a DuckDB file to add."""
    monkeypatch.setenv("OLYMPUS_DATA_DIR", str(tmp_path))
    duckdb.connect(str(tmp_path / "x.duckdb")).close()
    app("app.py")  # creates the demo connection, named "Demo"
    at = app("pages/1_Connections.py")
    at.session_state["add_conn:open"] = True  # open "Add a connection", as a click does
    at.run()
    return at, str(tmp_path / "x.duckdb")


def add_as_demo(at, path: str) -> None:
    """Fill the add form with the taken name and save: the name error shows."""
    at.selectbox(key="add_conn:type").set_value("duckdb").run()
    at.text_input(key="add_conn:name").input("Demo").run()
    at.text_input(key="add_conn:duckdb:path").input(path).run()
    button(at, "Save connection").click().run()
    no_traceback(at)
    assert TAKEN in shown(at)
    assert [r.name for r in workspace().connections()] == ["Demo"]


def test_changing_the_type_clears_the_name_error(page):
    at, path = page
    add_as_demo(at, path)
    at.selectbox(key="add_conn:type").set_value("sqlite").run()
    no_traceback(at)
    assert TAKEN not in shown(at)


def test_editing_the_name_clears_the_name_error(page):
    at, path = page
    add_as_demo(at, path)
    at.text_input(key="add_conn:name").input("Demo copy").run()
    no_traceback(at)
    assert TAKEN not in shown(at)
    button(at, "Save connection").click().run()  # and the new name then saves
    no_traceback(at)
    assert sorted(r.name for r in workspace().connections()) == ["Demo", "Demo copy"]


def test_editing_another_field_clears_it_and_an_unchanged_rerun_keeps_it(page):
    at, path = page
    add_as_demo(at, path)
    at.run()  # nothing changed (e.g. another widget elsewhere reran the page): still true
    assert TAKEN in shown(at)
    at.checkbox(key="add_conn:expose").check().run()
    assert TAKEN not in shown(at)
    add_as_demo(at, path)
    at.text_input(key="add_conn:duckdb:path").input(path + ".other").run()
    assert TAKEN not in shown(at)


def test_a_new_submit_shows_only_its_own_messages(page):
    """"Test connection" after a refused save: the test's result, not the old name error."""
    at, path = page
    add_as_demo(at, path)
    button(at, "Test connection").click().run()
    no_traceback(at)
    text = shown(at)
    assert "Connection works" in text and TAKEN not in text


def test_the_edit_form_clears_its_name_error_when_the_name_changes(page):
    at, path = page
    workspace().add_connection("Other", "duckdb", {"path": path}, test_first=False)
    at.run()
    other = next(r for r in workspace().connections() if r.name == "Other")
    at.button(key=f"edit_{other.id}").click().run()
    at.text_input(key=f"edit_{other.id}:name").input("Demo").run()
    button(at, "Save and test").click().run()
    no_traceback(at)
    assert TAKEN in shown(at)
    assert sorted(r.name for r in workspace().connections()) == ["Demo", "Other"]
    at.text_input(key=f"edit_{other.id}:name").input("Renamed").run()
    no_traceback(at)
    assert TAKEN not in shown(at)
    button(at, "Save and test").click().run()
    assert sorted(r.name for r in workspace().connections()) == ["Demo", "Renamed"]
