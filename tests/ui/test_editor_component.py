"""The SQL editor component's Python side in AppTest: it is sent as a file-backed module (Ace and
editor.js never ride inside a rerun's message), its completions as compact plain data, and the
browser's events (trigger values, built here exactly as the browser sends them) reach the page
once each, in the order they were made. Chromium covers the JS (tests/e2e/test_editor_browser.py).
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from olympus.ui import editor
from tests.ui.helpers import editor_event

ITEMS = ({"caption": "loans", "value": "loans", "meta": "table", "score": 30},
         {"caption": "loan_id", "value": "loan_id", "meta": "column · loans", "score": 40},
         {"caption": "Loans <b>x</b>", "value": "loans_x", "meta": "table", "score": 30})


def callback_page(items) -> None:
    import streamlit as st

    from olympus.ui import editor as ed

    seen = st.session_state.setdefault("events", [])
    ed.sql_editor(st.session_state.get("code", "SELECT 1"), key="ed", items=items,
                  height=(4, 9), placeholder="SELECT …",
                  on_event=lambda event: seen.append((event.kind, event.text)))


def return_page() -> None:
    import streamlit as st

    from olympus.ui import editor as ed

    event = ed.sql_editor("SELECT 1", key="ed", items=())
    st.session_state.setdefault("returned", []).append(
        None if event is None else (event.kind, event.text))


def component(at: AppTest):
    found = at.get("bidi_component")
    assert len(found) == 1, found
    return found[0].proto


def send(at: AppTest, *events: tuple[str, str, str]) -> AppTest:
    return editor_event(at, "ed", *events)


def test_sent_as_a_file_backed_module_with_plain_data():
    at = AppTest.from_function(callback_page, args=(ITEMS,), default_timeout=30)
    at.session_state["code"] = "SELECT * FROM loans"
    at.run()
    assert not at.exception
    proto = component(at)
    assert proto.component_name == editor.COMPONENT
    assert proto.js_source_path == "editor.js" and proto.js_content == ""  # a URL, not a script
    assert not proto.html_content and not proto.isolate_styles  # in the page, no shadow root
    data = json.loads(proto.json)
    assert data["code"] == "SELECT * FROM loans"
    assert (data["minLines"], data["maxLines"], data["placeholder"]) == (4, 9, "SELECT …")
    assert data["words"] == [["loans", "table", 30], ["loan_id", "column · loans", 40],
                             ["loans_x", "table", 30, "Loans <b>x</b>"]]  # data, not markup
    for name in ("editor.js", "ace/ace.js", "ace/mode-sql.js", "ace/ext-language_tools.js",
                 "ace/theme-cloud_editor.js", "ace/theme-cloud_editor_dark.js", "ace/LICENSE"):
        assert (editor.ASSETS / name).stat().st_size > 0, name  # shipped in the checkout


def test_events_reach_the_callback_once_each_in_order():
    at = AppTest.from_function(callback_page, args=(ITEMS,), default_timeout=30).run()
    send(at, ("change", "a:1", "SELECT 2"), ("submit", "a:2", "SELECT 2 + 1"))
    assert at.session_state["events"] == [("change", "SELECT 2"), ("submit", "SELECT 2 + 1")]
    send(at, ("submit", "a:2", "SELECT 2 + 1"))  # the same event again (a replay): ignored
    at.run()  # a plain rerun: triggers are gone
    assert at.session_state["events"] == [("change", "SELECT 2"), ("submit", "SELECT 2 + 1")]
    send(at, ("format", "a:3", "select 3"))
    assert at.session_state["events"][-1] == ("format", "select 3")


def test_without_a_callback_the_event_is_returned_once():
    at = AppTest.from_function(return_page, default_timeout=30).run()
    send(at, ("change", "b:1", "SELECT 5"), ("submit", "b:2", "SELECT 6"))
    assert at.session_state["returned"][-1] == ("submit", "SELECT 6")  # Run wins over an edit
    at.run()
    assert at.session_state["returned"][-1] is None
