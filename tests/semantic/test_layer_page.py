"""The Schema page's 'Edit description' control (AppTest): editors write, the agent's catalog follows."""

from __future__ import annotations

from tests.ui.conftest import app, olympus_home  # noqa: F401
from tests.ui.helpers import button, no_traceback, open_expander
from tests.ui.test_schema_page import _demo, _key


def test_edit_a_column_description_on_the_schema_page(app):
    at, ws, record, snap = _demo(app)
    at.selectbox(key=_key(at, ":pick")).set_value("main.loans").run()
    column = snap.table("loans", schema="main").columns[1].name
    open_expander(at, "schema:describe-open")  # built only once opened
    at.selectbox(key=_key(at, ":what")).set_value(column).run()
    area = next(a for a in at.text_area if a.key and a.key.endswith(f":{column}:text"))
    area.input("**Not bold** <script>alert(1)</script>").run()
    button(at, "Save description").click().run()
    no_traceback(at)
    [note] = ws.descriptions(record.name)
    assert (note.table, note.column, note.text) == ("main.loans", column, "**Not bold** <script>alert(1)</script>")
    described = ws.described_schema(record.name).table("main.loans")
    assert described.column(column).description == note.text
    assert ws.schema(record.name).table("main.loans").column(column).description != note.text  # DB untouched
    at.run()
    assert f"{column}: {note.text}" in [t.value for t in at.text]  # shown as text, not markdown
    assert not any("<script>" in m.value for m in at.markdown)
