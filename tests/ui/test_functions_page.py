"""Allowed functions are shown with the connection and changed by an admin on the page; the
guard then passes the call (and only on that connection)."""

from __future__ import annotations

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ui.helpers import no_traceback, open_expander, shown


def workspace() -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)


def test_admin_allows_a_function_on_the_connections_page(app):
    app("app.py")  # first start: the demo
    at = app("pages/1_Connections.py")
    assert not [t for t in at.text_input if t.key and t.key.startswith("functions_in_")]
    [demo] = workspace().connections()
    open_expander(at, f"functions_open_{demo.id}")  # built only once opened
    form_input = next(t for t in at.text_input if t.key and t.key.startswith("functions_in_"))
    form_input.input("my_udf, other_fn")  # inside a form: sent with its submit button
    submit = next(b for b in at.button if b.label == "Save allowed functions")
    submit.click().run()
    no_traceback(at)
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    record = Workspace(store, settings=settings).connections()[0]
    assert record.allowed_functions == ("my_udf", "other_fn")
    again = app("pages/1_Connections.py")
    assert "Allowed functions (2)" in [e.label for e in again.expander]
    assert "my_udf, other_fn" in shown(open_expander(again, f"functions_open_{record.id}"))
    store.dispose()
