"""The Ask page asks before a query above the connection's thresholds (real DuckDB demo plan),
runs it only after "Run anyway", and shows the plan's hints under the editor."""

from __future__ import annotations

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ui.helpers import button, no_traceback, shown


def workspace() -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)


def test_run_anyway_above_the_threshold(app):
    app("app.py")  # the first start builds the demo
    ws = workspace()
    ws.set_preview_thresholds("Demo", confirm_rows=1000)
    at = app("pages/3_Ask.py")
    before = len(ws.query_log(limit=50))
    at.chat_input(key="ask:prompt").set_value("SELECT sum(principal) AS n FROM loans WHERE status = 'late'").run()
    no_traceback(at)
    text = shown(at)
    assert "This will read ~" in text and "rows. Run anyway?" in text
    assert len(ws.query_log(limit=50)) == before  # nothing ran yet
    button(at, "Run anyway").click().run()
    no_traceback(at)
    assert "Run anyway?" not in shown(at)
    [entry] = ws.query_log(limit=1)
    assert entry.sql == "SELECT sum(principal) AS n FROM loans WHERE status = 'late'" and entry.status == "ok"
    assert entry.row_count == 1


def test_cancel_runs_nothing_and_hints_show(app):
    app("app.py")
    ws = workspace()
    ws.set_preview_thresholds("Demo", confirm_rows=1000)
    at = app("pages/3_Ask.py")
    at.chat_input(key="ask:prompt").set_value("SELECT sum(principal) AS n FROM loans WHERE status = 'late'").run()
    before = len(ws.query_log(limit=50))
    button(at, "Cancel").click().run()
    assert "Run anyway?" not in shown(at) and len(ws.query_log(limit=50)) == before
    ws.set_preview_thresholds("Demo", confirm_rows=10 ** 12)
    at.chat_input(key="ask:prompt").set_value(
        "SELECT l.loan_id, b.branch_id FROM loans l, branches b LIMIT 5").run()
    no_traceback(at)
    [hints] = [e for e in at.expander if "hint" in e.label]
    assert "joined without a condition" in "\n".join(m.value for m in hints.markdown)
