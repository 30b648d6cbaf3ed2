"""`python -m olympus worker` processes on one real PostgreSQL store (pgserver): each due
occurrence runs exactly once with two workers; a worker killed mid-run is retried once, not
twice; a failing run retries with backoff, then fails, in the run and the activity log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from olympus.crypto import generate_key
from olympus.ops.worker import ScheduleWorker, WorkerOptions
from tests.ops.schedule_helpers import (data_file, open_store, scalar, start_worker,
                                        stop_worker, wait_for, worker_of, workspace)

SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
        "SELECT count(*) AS n FROM c")


@pytest.fixture()
def pg_store(tmp_path, pg_url):
    key = generate_key()
    store = open_store(tmp_path, key, pg_url)
    ws = workspace(store)
    ws.add_connection("data", "sqlite", {"path": str(data_file(tmp_path))})
    yield store, ws, key
    ws.close()
    store.dispose()


def test_two_workers_run_each_occurrence_exactly_once(tmp_path, pg_url, pg_store):
    store, ws, key = pg_store
    for i in range(4):
        ws.create_schedule(f"s{i}", connection="data", interval_s=10,
                           sql=f"SELECT {i} AS schedule, count(*) AS n FROM t")
    workers = [start_worker(tmp_path, key, pg_url, OLYMPUS_WORKER_POLL_S="1")
               for _ in range(2)]
    names = [worker_of(w) for w in workers]
    try:
        done = wait_for(lambda: scalar(store, "SELECT count(DISTINCT due_at) FROM "
                                              "schedule_runs WHERE status = 'ok'") >= 3,
                        timeout=60, every=0.5, quiet=True)
    finally:
        errors = [stop_worker(w) for w in workers]
    assert done, (errors, [ws.schedule_runs(s.name) for s in ws.schedules()])
    runs = [r for s in ws.schedules() for r in ws.schedule_runs(s.name, limit=100)]
    assert len(runs) >= 8 and all(r.status == "ok" and r.attempt == 1 for r in runs), errors
    ran = scalar(store, "SELECT count(*) FROM query_log WHERE source = 'schedule'")
    assert ran == len(runs)  # one query per occurrence, though both workers saw each one
    audited = scalar(store, "SELECT count(*) FROM audit_log WHERE action = 'schedule_run'")
    assert audited == len(runs)
    assert {r.worker for r in runs} <= set(names)
    for schedule in ws.schedules():  # occurrences sit on the anchored grid, 10 s apart
        for run in ws.schedule_runs(schedule.name, limit=100):
            offset = (run.due_at - schedule.anchor_at).total_seconds()
            assert offset > 0 and offset % 10 == 0


def test_a_worker_killed_mid_run_is_retried_once_not_twice(tmp_path, pg_url, pg_store):
    store, ws, key = pg_store
    ws.create_schedule("slow", connection="data", interval_s=600, sql=SLOW.format(n=3_000_000))
    fast = {"OLYMPUS_WORKER_POLL_S": "0.5", "OLYMPUS_WORKER_LEASE_S": "3"}
    doomed = start_worker(tmp_path, key, pg_url, **fast)
    doomed_name = worker_of(doomed)
    # the next occurrence in ~3 s: move the interval's anchor (as a timing edit does)
    at = datetime.now(timezone.utc).replace(microsecond=0)
    store_anchor = at - timedelta(seconds=597)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE schedules SET anchor_at = %s, updated_at = %s",
                             (store_anchor, at))
    wait_for(lambda: scalar(store, "SELECT count(*) FROM schedule_runs WHERE status = "
                                   "'running' AND worker = :w", w=doomed_name), timeout=30,
             every=0.05)
    stop_worker(doomed, kill=True)  # SIGKILL mid-query: no chance to record anything
    survivors = [start_worker(tmp_path, key, pg_url, **fast) for _ in range(2)]
    names = [worker_of(w) for w in survivors]
    try:
        run = wait_for(lambda: next((r for r in ws.schedule_runs("slow")
                                     if r.status in ("ok", "failed")), None), timeout=90)
    finally:
        for w in survivors:
            stop_worker(w)
    assert run.status == "ok" and run.attempt == 2 and run.worker in names
    assert run.due_at == store_anchor + timedelta(seconds=600)
    assert run.snapshot["rows"] == [[3_000_000]]
    assert len(ws.schedule_runs("slow")) == 1
    # the killed attempt never finished; the retry ran once (one logged query, one activity row)
    assert scalar(store, "SELECT count(*) FROM query_log WHERE source = 'schedule'") == 1
    details = [e.detail for e in ws.activity(action="schedule_run")]
    assert len(details) == 1 and "attempt 2, ok" in details[0]


def test_a_failing_run_retries_with_backoff_then_fails_visibly(tmp_path, pg_store, monkeypatch):
    store, ws, _ = pg_store
    monkeypatch.setenv("OLYMPUS_WORKER_RETRY_S", "1")  # run now's first retry: in 1 s
    ws.create_schedule("broken", connection="data", interval_s=600, max_attempts=3,
                       sql="SELECT missing_column FROM t")
    before = datetime.now(timezone.utc)
    first = ws.run_schedule_now("broken")
    after = datetime.now(timezone.utc)
    slack = timedelta(seconds=0.05)  # the store's clock and this one
    assert first.status == "retrying"  # due 1 s after it failed, whenever in the call that was
    assert before + timedelta(seconds=1) - slack <= first.retry_at <= after + timedelta(
        seconds=1) + slack, (before, first.retry_at, after)
    worker = ScheduleWorker(store, WorkerOptions(poll_s=0.3, retry_s=1, lease_s=5)).start()
    try:
        run = wait_for(lambda: next((r for r in ws.schedule_runs("broken")
                                     if r.status == "failed"), None), timeout=30)
    finally:
        worker.stop()
    assert run.attempt == 3 and "missing_column" in run.error
    rows = ws.activity(action="schedule_run")
    assert [e.status for e in rows] == ["error"] * 3
    assert [int(e.detail.split("attempt ")[1][0]) for e in reversed(rows)] == [1, 2, 3]
    times = sorted(e.at for e in rows)
    assert (times[1] - times[0]).total_seconds() >= 0.9  # 1 s, then 2 s: backoff
    assert (times[2] - times[1]).total_seconds() >= 1.9
