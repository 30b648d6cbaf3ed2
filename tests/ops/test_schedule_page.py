"""The Schedules page through AppTest: create, a clear error, run now, recent runs, snapshot;
an untrusted name stays text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.ops.schedule_helpers import data_file
from tests.services import ROOT

NAME = "**Daily** <b>x</b> [go](http://evil.example)"


@pytest.fixture()
def page(tmp_path, monkeypatch):
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OLYMPUS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    ws = Workspace(Store.from_settings(settings), settings=settings)
    ws.add_connection("data", "sqlite", {"path": str(data_file(tmp_path))})
    yield lambda: AppTest.from_file(str(ROOT / "pages/6_Schedules.py"),
                                    default_timeout=60).run(), ws
    ws.store.dispose()


def submit(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_create_run_now_and_see_the_run_and_its_snapshot(page):
    make, ws = page
    at = make()
    assert not at.exception and "No schedules yet" in " ".join(c.value for c in at.caption)
    at.text_input(key="schedule:new:name").set_value(NAME)
    at.text_area(key="schedule:new:sql").set_value("SELECT label, value FROM t ORDER BY 1")
    at.radio(key="schedule:new:timing").set_value("Cron")
    at.text_input(key="schedule:new:cron").set_value("99 * * * *")
    at = submit(at, "Create schedule")
    assert any("Not a valid cron expression" in e.value for e in at.error)
    assert ws.schedules() == []  # nothing saved
    at.text_input(key="schedule:new:cron").set_value("0 8 * * 1-5")
    at.text_input(key="schedule:new:timezone").set_value("Europe/Paris")
    at = submit(at, "Create schedule")
    assert not at.exception
    made = ws.schedules()[0]
    assert made.name == NAME and made.timing == "cron 0 8 * * 1-5 (Europe/Paris)"
    label = at.expander[1].label  # [0] is "New schedule"
    assert "<b>" not in label.replace("\\<b\\>", "") and "\\*\\*Daily" in label
    at = submit(at, "Run now")
    assert not at.exception and any("Run ok" in s.value for s in at.success)
    at.run()
    runs, snapshot = at.dataframe[0].value, at.dataframe[1].value
    assert list(runs["Status"]) == ["ok"] and list(runs["Rows"]) == [2]
    assert snapshot.values.tolist() == [["a", 1.0], ["b", 2.0]]


def test_pause_and_delete(page):
    make, ws = page
    ws.create_schedule("nightly", connection="data", sql="SELECT 1 AS one", interval_s=600)
    at = submit(make(), "Pause")
    assert ws.schedule("nightly").enabled is False
    at = submit(at, "Resume")
    assert ws.schedule("nightly").enabled is True
    submit(at, "Delete")
    assert ws.schedules() == []


def test_add_a_webhook_alert_shows_its_label_never_its_url(page):
    make, ws = page
    made = ws.create_schedule("nightly", connection="data", sql="SELECT 1 AS one",
                              interval_s=600)
    at = make()
    at.text_input(key=f"alert:{made.id}:url").set_value(
        "https://hooks.example.com/services/T0/B0/secret-token-77")
    at = submit(at, "Add alert")
    assert not at.exception and not at.error
    texts = [t.value for t in at.text]
    assert "When the result has rows: webhook to hooks.example.com" in texts
    everything = " ".join(texts + [m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "secret-token-77" not in everything
    assert [a.label for a in ws.schedule_alerts("nightly")] == ["webhook to hooks.example.com"]
