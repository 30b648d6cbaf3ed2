"""The Glossary page (AppTest): an editor adds a term that is stored; hostile text shows as text."""

from __future__ import annotations

from olympus.semantic.glossary import GlossaryTerm
from tests.ui.conftest import app, olympus_home  # noqa: F401
from tests.ui.helpers import button, no_traceback, shown


def _ws():
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), None, settings=settings)


def test_add_a_term_from_the_page(app):
    no_traceback(app("app.py"))  # first start: the demo connection
    at = app("pages/8_Glossary.py")
    no_traceback(at)
    assert "No terms yet" in shown(at)
    at.text_input[0].input("default rate")
    at.text_area[0].input("Share of loans more than 90 days past due.")
    at.text_input[1].input("NPL ratio, bad loan share")
    at.text_area[1].input("AVG(CASE WHEN days_past_due > 90 THEN 1.0 ELSE 0 END)")
    button(at, "Add term").click().run()
    no_traceback(at)
    [term] = _ws().glossary()
    assert (term.term, term.synonyms) == ("default rate", ("NPL ratio", "bad loan share"))
    assert term.sql_expression.startswith("AVG(CASE") and term.connection_id is None
    assert any("default rate" in e.label for e in at.expander)
    assert "Share of loans more than 90 days past due." in [t.value for t in at.text]


def test_an_empty_term_is_refused_with_a_clear_error(app):
    at = app("pages/8_Glossary.py")
    at.text_area[0].input("A definition without a name")
    button(at, "Add term").click().run()
    no_traceback(at)
    assert "needs a name" in shown(at) and _ws().glossary() == []


def test_untrusted_term_text_is_shown_as_text(app):
    hostile = "**bold** <img src=x onerror=alert(1)> [click](javascript:alert(1))"
    app("app.py")
    _ws().save_term(GlossaryTerm("evil term", hostile, ("<b>x</b>",)))
    at = app("pages/8_Glossary.py")
    no_traceback(at)
    assert any(t.value == hostile for t in at.text)  # st.text: never markdown or HTML
    for md in at.markdown:
        assert "<img" not in md.value and "javascript:" not in md.value
