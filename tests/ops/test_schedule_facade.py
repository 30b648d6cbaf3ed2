"""Schedules through the Workspace on a SQLite store: validation, roles, run now, snapshots."""

from __future__ import annotations

import pytest

from olympus.crypto import generate_key
from olympus.errors import ConfigError
from olympus.store_teams import Teams
from olympus.teams import Forbidden, Principal
from tests.ops.schedule_helpers import data_file, open_store, scalar, workspace

SQL = "SELECT label, value FROM t ORDER BY label"


@pytest.fixture()
def store(tmp_path):
    opened = open_store(tmp_path, generate_key())
    yield opened
    opened.dispose()


@pytest.fixture()
def ws(store, tmp_path):
    Teams(store).create_space("Team", space_id="team")
    admin = workspace(store)
    admin.add_connection("data", "sqlite", {"path": str(data_file(tmp_path))})
    yield admin
    admin.close()


def member(store, email: str, role: str):
    Teams(store).set_member("team", email, role)
    return workspace(store, principal=Principal(email, "team", role))


@pytest.mark.parametrize("timing, field", [
    ({"cron": "61 * * * *"}, "cron"),
    ({"cron": "0 8 * * *", "interval_s": 60}, "cron"),
    ({}, "cron"),
    ({"interval_s": 3}, "interval_s"),
    ({"interval_s": 60, "timezone": "Mars/Olympus"}, "timezone"),
])
def test_bad_timing_is_a_clear_error_and_nothing_is_saved(ws, timing, field):
    with pytest.raises(ConfigError) as caught:
        ws.create_schedule("s", connection="data", sql=SQL, **timing)
    assert field in caught.value.fields and caught.value.message
    assert ws.schedules() == []


def test_target_is_a_query_or_a_notebook(ws):
    with pytest.raises(ConfigError, match="either a saved query"):
        ws.create_schedule("s", connection="data", interval_s=60)
    with pytest.raises(Exception, match="No connection named 'nope'"):
        ws.create_schedule("s", connection="nope", sql=SQL, interval_s=60)
    made = ws.create_schedule("s", connection="data", sql=SQL, cron="0 8 * * 1-5",
                              timezone="Europe/Paris")
    assert made.timing == "cron 0 8 * * 1-5 (Europe/Paris)" and made.target == "query"
    with pytest.raises(ConfigError, match="already exists"):
        ws.create_schedule("s", connection="data", sql=SQL, interval_s=60)


def test_cron_fires_in_its_time_zone(ws):
    from datetime import datetime, timezone

    made = ws.create_schedule("s", connection="data", sql=SQL, cron="0 8 * * *",
                              timezone="America/New_York")
    after = datetime(2026, 7, 1, 0, 0, tzinfo=timezone.utc)
    fire = made.trigger().get_next_fire_time(None, after)
    assert fire.astimezone(timezone.utc) == datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)


def test_interval_occurrences_are_anchored_so_every_worker_agrees(ws):
    from datetime import timedelta

    made = ws.create_schedule("s", connection="data", sql=SQL, interval_s=600)
    later = made.anchor_at + timedelta(seconds=1234)
    fire = made.trigger().get_next_fire_time(None, later)
    assert fire == made.anchor_at + timedelta(seconds=1800)
    assert made.trigger().get_next_fire_time(None, later) == fire  # a second worker: same


def test_run_now_keeps_a_snapshot_logs_the_query_and_the_activity(ws, store):
    ws.create_schedule("s", connection="data", sql=SQL, interval_s=600)
    outcome = ws.run_schedule_now("s")
    assert outcome.status == "ok" and outcome.row_count == 2
    run = ws.schedule_runs("s")[0]
    assert run.snapshot == {"columns": ["label", "value"], "rows": [["a", 1.0], ["b", 2.0]],
                            "row_count": 2, "truncated": False}
    assert scalar(store, "SELECT count(*) FROM query_log WHERE source = 'schedule'") == 1
    entry = ws.activity(action="schedule_run")[0]
    assert entry.status == "ok" and entry.detail.startswith("s: due ") and entry.rows == 2


def test_snapshots_are_byte_capped_and_only_the_last_n_are_kept(ws, tmp_path):
    from olympus.ops.alerts import snapshot

    made = ws.create_schedule("s", connection="data", sql=SQL, interval_s=600, keep_runs=2)
    for _ in range(3):
        ws.run_schedule_now("s")
        import time

        time.sleep(1.05)  # one occurrence a second at most (its claim key)
    runs = ws.schedule_runs("s")
    assert [r.snapshot is not None for r in runs] == [True, True, False] and made.keep_runs == 2
    result = ws.run_sql("data", "SELECT label, value FROM t")
    big = snapshot(result.df.loc[result.df.index.repeat(500)], row_count=1000, max_bytes=2000)
    assert big["truncated"] and 0 < len(big["rows"]) < 1000 and big["row_count"] == 1000
    import json

    assert len(json.dumps(big["rows"])) <= 2000


def test_viewers_cannot_schedule_and_only_the_creator_or_an_admin_edits(ws, store):
    viewer = member(store, "vi@example.com", "viewer")
    with pytest.raises(Forbidden):
        viewer.create_schedule("v", connection="data", sql=SQL, interval_s=600)
    bob = member(store, "bob@example.com", "editor")
    made = bob.create_schedule("b", connection="data", sql=SQL, interval_s=600)
    assert made.created_by == "bob@example.com"
    carol = member(store, "carol@example.com", "editor")
    with pytest.raises(Forbidden, match="bob@example.com"):
        carol.update_schedule("b", sql="SELECT 1")
    assert ws.pause_schedule("b").enabled is False  # an admin may
    assert [s.name for s in viewer.schedules()] == ["b"]  # viewers see them


def test_a_removed_members_schedule_fails_clearly_without_retries(ws, store):
    bob = member(store, "bob@example.com", "editor")
    bob.create_schedule("b", connection="data", sql=SQL, interval_s=600)
    assert ws.run_schedule_now("b").status == "ok"  # while bob is a member
    import time

    time.sleep(1.05)
    Teams(store).remove_member("team", "bob@example.com")
    outcome = ws.run_schedule_now("b")
    assert outcome.status == "failed" and "no longer a member" in outcome.error
    run = ws.schedule_runs("b")[0]
    assert run.status == "failed" and run.attempt == 1 and run.retry_at is None
    assert ws.activity(action="schedule_run")[0].user == "bob@example.com"


def test_a_demoted_member_runs_with_the_role_they_have_now(ws, store):
    bob = member(store, "bob@example.com", "editor")
    bob.create_schedule("b", connection="data", sql=SQL, interval_s=600)
    Teams(store).set_member("team", "bob@example.com", "viewer")
    outcome = ws.run_schedule_now("b")
    assert outcome.status == "failed" and "As viewer" in outcome.error


def test_edit_pause_delete(ws):
    made = ws.create_schedule("s", connection="data", sql=SQL, interval_s=600)
    edited = ws.update_schedule("s", interval_s=120)
    assert edited.interval_s == 120 and edited.anchor_at >= made.anchor_at
    assert ws.update_schedule("s", cron="*/5 * * * *").cron == "*/5 * * * *"
    assert ws.pause_schedule("s").enabled is False
    assert ws.pause_schedule("s", False).enabled is True
    with pytest.raises(ConfigError, match="Unknown schedule setting"):
        ws.update_schedule("s", colour="red")
    ws.delete_schedule("s")
    assert ws.schedules() == []
    actions = [e.action for e in ws.activity()]
    assert {"schedule_create", "schedule_edit", "schedule_delete"} <= set(actions)


def test_a_notebook_schedule_runs_every_cell_and_keeps_the_last_result(ws, store):
    from olympus.notebooks import model as m

    cells = [m.new_cell("note", name="intro", markdown="Totals"),
             m.new_cell("sql", name="rows", connection="data", sql="SELECT label, value FROM t"),
             m.new_cell("sql", name="total", connection="data",
                        sql="SELECT sum(value) AS total FROM {{rows}}")]
    ws.create_notebook("Weekly", cells=cells)
    made = ws.create_schedule("weekly", notebook="Weekly", cron="0 9 * * 1",
                              timezone="Europe/Berlin")
    assert made.target == "notebook" and made.connection_id is None
    outcome = ws.run_schedule_now("weekly")
    assert outcome.status == "ok", outcome.error
    assert outcome.snapshot["columns"] == ["total"] and outcome.snapshot["rows"] == [[3.0]]
    [(schedule, last)] = ws.notebook_schedules("Weekly")  # shown on the notebook
    assert schedule.name == "weekly" and last.status == "ok"
    with pytest.raises(Exception, match="Nope"):
        ws.create_schedule("x", notebook="Nope", interval_s=600)


def test_a_paused_schedule_is_not_retried(ws, store, monkeypatch):
    import time

    from olympus.ops.worker import ScheduleWorker, WorkerOptions

    monkeypatch.setenv("OLYMPUS_WORKER_RETRY_S", "0.01")
    ws.create_schedule("b", connection="data", sql="SELECT nope FROM t", interval_s=600)
    assert ws.run_schedule_now("b").status == "retrying"
    ws.pause_schedule("b")
    time.sleep(0.05)
    worker = ScheduleWorker(store, WorkerOptions(retry_s=0.01))
    worker.sync()  # one poll, in this thread (not started: nothing fires)
    run = ws.schedule_runs("b")[0]
    assert run.status == "failed" and run.attempt == 1 and run.error.endswith("(paused since)")
    worker.stop()
