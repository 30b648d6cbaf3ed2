"""A cell's last result is stored with its run: a viewer (who may not query) and a new session
see it without anything running; a member without a grant on the cell's connection doesn't."""

from __future__ import annotations

import pytest

from olympus.teams import Forbidden
from tests.notebooks.conftest import as_member

DEMO = "Lending portfolio review"


def test_viewer_sees_the_last_results_without_running(ws, store, settings):
    run = ws.run_all(DEMO)
    ran = {c.name: c.result for c in run.cells if c.status == "ok" and c.result is not None}
    assert ran
    viewer = as_member(store, settings, "viewer")
    before = len(ws.query_log(limit=500))
    shown = viewer.cell_results(DEMO)
    assert set(shown) == set(ran)
    for name, result in shown.items():
        assert result.rows() == ran[name].rows() and result.cached_at is not None
        assert result.sql == ran[name].sql
    assert len(ws.query_log(limit=500)) == before  # nothing ran
    with pytest.raises(Forbidden):
        viewer.run_all(DEMO)


def test_a_grant_hides_stored_results(ws, store, settings):
    ws.run_all(DEMO)
    ws.grant("Demo", users=["someone-else@example.com"])
    viewer = as_member(store, settings, "viewer")
    assert viewer.cell_results(DEMO) == {}  # the Demo connection is not granted to them
    assert ws.cell_results(DEMO)  # admins always see granted connections


def test_big_results_are_cut_to_the_snapshot_size(ws):
    from olympus.notebooks import results

    big = ws.run_sql("Demo", "SELECT * FROM loans", limit=20_000)
    blob = results.encode(big)
    back = results.decode(blob, big.cached_at or __import__("datetime").datetime.now())
    assert len(blob) < results.SNAPSHOT_BYTES + 64 * 1024
    assert 0 < back.row_count <= big.row_count
    assert back.truncated == (back.row_count < big.row_count)
