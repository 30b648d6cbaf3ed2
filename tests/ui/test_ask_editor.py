"""The Ask page's editor and running queries where AppTest is faster than a browser: formatting,
completions from the demo's catalog, no LLM -> "Ask in English" off and questions never run as
SQL, the Schema page's starter SQL, and a real cancel of a long DuckDB query."""

from __future__ import annotations

import json
import time

from olympus.config import Settings
from olympus.store import Store
from olympus.ui import editor, running
from olympus.workspace import Workspace
from tests.ui.helpers import no_traceback, shown


def workspace() -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)


def editor_args(at) -> dict:
    """The data the page sent to the editor component (what the browser would draw)."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "bidi_component" \
                and node.proto.component_name == editor.COMPONENT:
            found.append(node)
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else ()):
            walk(child)

    walk(at._tree)
    assert len(found) == 1, f"{len(found)} editors on the page"
    return json.loads(found[0].proto.json)


def test_format_is_pretty_in_the_dialect_and_keeps_the_text_when_it_cannot():
    pretty, problem = editor.format_sql("select a,b from t where x=1", "duckdb")
    assert problem is None and pretty == "SELECT\n  a,\n  b\nFROM t\nWHERE\n  x = 1"
    top, _ = editor.format_sql("select top 3 a from t", "tsql")
    assert "TOP 3" in top and "LIMIT" not in top  # written in the target dialect
    broken = "SELECT * FROM loans WHERE"
    assert editor.format_sql(broken, "duckdb") == (
        broken, "Couldn't format: this SQL doesn't parse yet (line 1, column 25). "
                "Your text is unchanged.")


def test_completions_hold_the_demos_tables_columns_and_the_dialects_keywords(app):
    app("app.py")  # the first start builds the demo
    at = app("pages/3_Ask.py")
    no_traceback(at)
    rows = editor_args(at)["words"]  # [value, meta, score(, caption)]
    by_value = {row[0]: row[1] for row in rows}
    assert by_value["loan_id"].startswith("column")  # a real column of the demo
    assert by_value["loans"] == "table" and by_value["main.loans"] == "table"
    assert by_value["QUALIFY"] == "keyword"  # DuckDB's tokenizer has it; the editor too
    pg = editor.keywords("postgres")
    assert "ILIKE" in pg and not any(k in pg for k in ("::", "{%", "->"))


def test_no_llm_turns_ask_in_english_off_and_a_question_is_never_run_as_sql(app):
    app("app.py")  # the first start builds the demo
    at = app("pages/3_Ask.py")
    mode = at.segmented_control(key="ask:mode")
    assert mode.value == "sql" and mode.disabled
    assert "Plain-English questions need an LLM" in shown(at)
    before = len(workspace().query_log(limit=50))
    at.chat_input(key="ask:prompt").set_value("Which branch has the most loans?").run()
    no_traceback(at)
    assert "looks like a question, not SQL" in shown(at)
    assert len(workspace().query_log(limit=50)) == before  # nothing reached the database
    at.chat_input(key="ask:prompt").set_value("SELECT count(*) AS n FROM branches").run()
    assert "looks like a question" not in shown(at)  # the stale notice is gone
    assert at.metric[0].value.replace(",", "").isdigit()


def test_query_this_table_opens_the_editor_on_its_starter_sql(app):
    app("app.py")  # the first start builds the demo
    at = app("pages/3_Ask.py")
    at.session_state["ask:pending_sql"] = 'SELECT * FROM "main"."loans" LIMIT 100'
    at.run()
    no_traceback(at)
    assert editor_args(at)["code"] == 'SELECT * FROM "main"."loans" LIMIT 100'
    assert "ask:pending_sql" not in at.session_state  # once, then dropped


def test_cancel_stops_a_long_duckdb_query_on_the_server(app):
    app("app.py")  # the demo
    ws = workspace()
    job = running.start_sql(ws, "Demo", "SELECT count(*) FROM loans a, loans b, loans c")
    assert job.handle is not None  # the core's QueryHandle
    time.sleep(1.0)
    assert not job.done.is_set()
    clicked = time.monotonic()
    running.cancel(job)
    assert job.done.wait(2.0), "still running 2 s after Cancel"
    assert time.monotonic() - clicked < 2.0
    assert running.was_cancelled(job)
    error = running.cancelled_error(job)
    assert error["title"] == "Query cancelled" and "database stopped" in error["message"]
    assert ws.run_sql("Demo", "SELECT 1 AS one").row_count == 1  # the connection is usable
