"""Locally the app runs schedules itself (no worker to start); OLYMPUS_SCHEDULER decides."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.errors import ConfigError
from olympus.ops.worker_inprocess import wanted
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ops.schedule_helpers import data_file, wait_for
from tests.services import ROOT


@pytest.mark.parametrize("store_url, env, expected", [
    ("sqlite:////tmp/x.db", {}, True),
    ("postgresql://u@h/db", {}, False),
    ("postgresql://u@h/db", {"OLYMPUS_SCHEDULER": "inprocess"}, True),
    ("sqlite:////tmp/x.db", {"OLYMPUS_SCHEDULER": "OFF"}, False),
])
def test_who_runs_schedules(store_url, env, expected):
    settings = Settings.from_env({"OLYMPUS_STORE_URL": store_url})
    assert wanted(settings, env) is expected


def test_an_unknown_mode_is_a_clear_error():
    with pytest.raises(ConfigError, match="OLYMPUS_SCHEDULER must be one of"):
        wanted(Settings.from_env({}), {"OLYMPUS_SCHEDULER": "sometimes"})


def test_the_local_app_runs_a_due_schedule_by_itself(tmp_path, monkeypatch):
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OLYMPUS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    ws = Workspace(Store.from_settings(settings), settings=settings)
    ws.add_connection("data", "sqlite", {"path": str(data_file(tmp_path))})
    ws.create_schedule("soon", connection="data", sql="SELECT count(*) AS n FROM t",
                       interval_s=600)
    at = datetime.now(timezone.utc).replace(microsecond=0)
    with ws.store.engine.begin() as conn:  # next occurrence in ~4 s
        conn.exec_driver_sql("UPDATE schedules SET anchor_at = ?",
                             ((at - timedelta(seconds=596)).strftime("%Y-%m-%d %H:%M:%S.%f"),))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not app.exception
    try:
        run = wait_for(lambda: next(iter(ws.schedule_runs("soon")), None), timeout=30)
        run = wait_for(lambda: ws.schedule_runs("soon")[0].status != "running" and
                       ws.schedule_runs("soon")[0], timeout=30)
    finally:
        from olympus.ui.schedules import _scheduler

        _scheduler.clear()  # stops it (on_release)
    assert run.status == "ok" and run.snapshot["rows"] == [[2]]
    assert run.due_at == at + timedelta(seconds=4)
    ws.store.dispose()
