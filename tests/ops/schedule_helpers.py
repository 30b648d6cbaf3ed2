"""Shared set-up for the schedule, alert and worker tests: a store, a data file, workspaces."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import REPO, clean_env, make_settings


def data_file(folder: Path, rows: list[tuple] | None = None) -> Path:
    """A SQLite file with table t(label, value) to schedule queries on (folder/data/data.db:
    outside OLYMPUS_HOME, which only the demo may use)."""
    (folder / "data").mkdir(exist_ok=True)
    path = folder / "data" / "data.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (label TEXT, value REAL)")
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t VALUES (?, ?)", rows or [("a", 1.0), ("b", 2.0)])
    return path


def open_store(folder: Path, key: str, store_url: str | None = None) -> Store:
    """A store with OLYMPUS_HOME folder/home and OLYMPUS_DATA_DIR folder/data."""
    env = {"OLYMPUS_DATA_DIR": str(folder / "data")}
    if store_url:
        env["OLYMPUS_STORE_URL"] = store_url
    settings = make_settings(folder / "home", keys=(key,), **env)
    return Store.from_settings(settings)


def workspace(store: Store, space: str = "team", **kwargs) -> Workspace:
    return Workspace(store, space, settings=store.settings, **kwargs)


def wait_for(check: Callable[[], object], timeout: float = 60, every: float = 0.1, *,
             quiet: bool = False):
    """Poll until check() is truthy; its value, or (quiet: None) AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    if quiet:
        return None
    raise AssertionError(f"Timed out after {timeout} s waiting for {check}")


def start_worker(folder: Path, key: str, store_url: str, **env: str) -> subprocess.Popen:
    """`python -m olympus worker` as a separate process, exactly as an operator runs it."""
    environ = clean_env(folder / "home", OLYMPUS_SECRET_KEY=key, OLYMPUS_STORE_URL=store_url,
                        OLYMPUS_DATA_DIR=str(folder / "data"), **env)
    return subprocess.Popen([sys.executable, "-m", "olympus", "worker"], cwd=REPO, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_worker(process: subprocess.Popen, *, kill: bool = False) -> str:
    """SIGTERM (graceful) or SIGKILL; returns what it wrote to stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    return err


def worker_of(process: subprocess.Popen) -> str:
    """The worker's name, from the line it prints when it starts."""
    line = process.stdout.readline()
    assert line.startswith("Worker "), line
    return line.split()[1]


def scalar(store: Store, sql: str, **params) -> object:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()

