"""`elapsed_ms` is the query's time: a file database's first query starts its worker process
(hundreds of ms) in `prepare()`, before the clock, so `SELECT 1` reports what it really took."""

from __future__ import annotations

import sqlite3
import time

import duckdb
import pytest

from olympus.connectors import create_connector
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


def _file(tmp_path, kind: str) -> str:
    path = str(tmp_path / f"data.{kind}")
    if kind == "duckdb":
        duckdb.connect(path).close()
    else:
        sqlite3.connect(path).close()
    return path


def _worker_start_ms(kind: str, path: str) -> float:
    """What starting one worker for this database costs here, measured on a fresh connector."""
    connector = create_connector(kind, {"path": path})
    try:
        started = time.perf_counter()
        with connector.workers().lease():
            pass
        return (time.perf_counter() - started) * 1000
    finally:
        connector.dispose()


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_the_first_query_on_a_fresh_connection_reports_the_query_only(tmp_path, monkeypatch,
                                                                       kind):
    monkeypatch.setenv("OLYMPUS_DATA_DIR", str(tmp_path))
    path = _file(tmp_path, kind)
    settings = make_settings(tmp_path / "home", OLYMPUS_DATA_DIR=tmp_path)
    ws = Workspace(Store.from_settings(settings), settings=settings)
    try:
        ws.add_connection("f", kind, {"path": path}, test_first=False)
        started = time.perf_counter()
        first = ws.run_sql("f", "SELECT 1")  # this call starts the connection's worker
        wall_ms = (time.perf_counter() - started) * 1000
        second = ws.run_sql("f", "SELECT 2")
    finally:
        ws.close()
    start_ms = _worker_start_ms(kind, path)
    assert first.to_dict()["rows"] == [[1]] and second.to_dict()["rows"] == [[2]]
    # the call paid for the worker; the figure it reports did not
    assert wall_ms > start_ms / 3, (wall_ms, start_ms)
    assert first.elapsed_ms < start_ms / 5, (first.elapsed_ms, start_ms)
    assert second.elapsed_ms < start_ms / 5, (second.elapsed_ms, start_ms)
