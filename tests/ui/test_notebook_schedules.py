"""A notebook's schedules show on the notebook page, a failed last run as a warning with its
error (AppTest; the run is a real one through the schedule's own path)."""

from __future__ import annotations

from olympus.config import Settings
from olympus.notebooks.model import new_cell
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ui.helpers import as_read, no_traceback, shown

PAGE = "pages/10_Notebooks.py"


def test_schedule_status_on_the_notebook(app):
    app("app.py")  # the demo and its notebook
    settings = Settings.from_env()
    ws = Workspace(Store.from_settings(settings), settings=settings)
    ws.create_notebook("Broken", cells=[new_cell("sql", name="bad", connection="Demo",
                                                 sql="DELETE FROM loans")])
    ws.create_schedule("nightly broken", notebook="Broken", cron="0 3 * * *",
                       timezone="Europe/Paris")
    ws.create_schedule("hourly review", notebook="Lending portfolio review", interval_s=3600)
    outcome = ws.run_schedule_now("nightly broken")
    assert outcome is not None
    [(schedule, run)] = ws.notebook_schedules("Broken")
    assert run.status == "failed", run
    at = app(PAGE)
    at.query_params["notebook"] = "Broken"
    at.run()
    no_traceback(at)
    [warning] = [as_read(w.value) for w in at.warning if "Scheduled" in w.value]
    assert warning.startswith("Scheduled (nightly broken): cron 0 3 * * * (Europe/Paris) · "
                              "last run failed"), warning
    assert "Writes are not allowed" in warning, warning
    at = app(PAGE)
    at.query_params["notebook"] = "Lending portfolio review"
    at.run()
    assert "Scheduled (hourly review): every 3600 s · never run" in shown(at)
