"""Connections page: credentials that can write are named (as plain text) with the role recipe."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.ui.helpers import button, fill_pg_form, no_traceback, shown
from tests.ui.test_pages import workspace

PAYLOAD = "![x](http://leak.example/p)"  # a table name that would be an image as markdown


def _texts(at) -> str:
    return "\n".join(str(el.value) for el in at.text)


def test_superuser_credentials_warn_with_recipe_and_findings_as_text(app, sales_db):
    engine = create_engine(sales_db.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE TABLE "{PAYLOAD}" (id int)'))
    engine.dispose()
    at = app("pages/1_Connections.py")
    at.selectbox(key="add_conn:type").set_value("postgresql").run()
    fill_pg_form(at, sales_db, name="Sales")
    assert at.checkbox(key="add_conn:read_only").value is False  # no sign-in: off by default
    button(at, "Test connection").click().run()
    no_traceback(at)
    assert "can do more than read" in shown(at) and "CREATE ROLE olympus_ro" in shown(at)
    assert "• superuser" in _texts(at) and f"on public.{PAYLOAD}" in _texts(at)
    assert "leak.example" not in "\n".join(str(m.value) for m in at.markdown)

    at.checkbox(key="add_conn:read_only").check()
    button(at, "Save connection").click().run()
    no_traceback(at)
    assert "requires a read-only role" in shown(at) and "• superuser" in _texts(at)
    assert workspace().connections() == []

    at.checkbox(key="add_conn:read_only").uncheck()
    button(at, "Save connection").click().run()
    no_traceback(at)
    [record] = workspace().connections()
    assert record.risky[0] == "superuser" and not record.require_read_only_role
    assert "These credentials can do more than read" in [e.label for e in at.expander]


def test_sign_in_turns_the_requirement_on_by_default(app, sales_db, monkeypatch):
    monkeypatch.setenv("OLYMPUS_AUTH", "proxy")
    monkeypatch.setenv("OLYMPUS_ADMINS", "test@example.com")  # AppTest's st.user: the admin
    at = app("pages/1_Connections.py")
    at.selectbox(key="add_conn:type").set_value("postgresql").run()
    assert at.checkbox(key="add_conn:read_only").value is True
