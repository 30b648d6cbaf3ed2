"""`python -m olympus sql` loads only what running and printing one query needs: no DataFrame
library, no UI, agent, chart or other-driver packages (each is start-up time: pandas alone
~0.3 s), in its own process or in an embedded engine's worker; and its `elapsed_ms` is the
query's, not the imports' or the worker's start."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import subprocess
import sys
import time

import duckdb
import psycopg
import pytest

from tests.store_helpers import REPO, clean_env, cli

# Installed here (checked below, so their absence means something) and not needed by `sql`.
HEAVY = ("pandas", "numpy", "streamlit", "altair", "vl_convert", "langchain", "langchain_core",
         "langchain_openai", "openai", "httpx", "mcp", "adbc_driver_manager",
         "adbc_driver_postgresql", "connectorx", "pymysql", "snowflake.connector",
         "google.cloud.bigquery", "pyarrow.dataset", "pyarrow.compute")

OTHER_CONNECTORS = tuple(f"olympus.connectors.{name}" for name in (
    "redshift", "snowflake", "bigquery", "duckdb", "sqlite", "mysql", "files", "worker"))

# Runs the command as `python -m olympus` does, then reports what this process imported.
PROBE = """
import json, os, runpy, sys
code = 0
try:
    runpy.run_module("olympus", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    code = stop.code
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
SQL = "select a, d from t order by a"


@pytest.fixture(params=["postgresql", "sqlite", "duckdb"])
def connection(request, tmp_path):
    """(home, type): a saved connection named `c` over a table t(a int, d date) of 3 rows."""
    home = tmp_path / "home"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t AS SELECT g AS a, DATE '2020-01-01' + g AS d "
                         "FROM generate_series(1, 3) g")
        args = ["--url", url]
    elif request.param == "sqlite":
        path = tmp_path / "t.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (a integer, d date)")
            conn.executemany("INSERT INTO t VALUES (?, ?)",
                             [(g, f"2020-01-0{g + 1}") for g in (1, 2, 3)])
        args = ["--type", "sqlite", "--param", f"path={path}"]
    else:
        path = tmp_path / "t.duckdb"
        with duckdb.connect(str(path)) as conn:
            conn.execute("CREATE TABLE t AS SELECT g AS a, DATE '2020-01-01' + g::int AS d "
                         "FROM range(1, 4) r(g)")
        args = ["--type", "duckdb", "--param", f"path={path}"]
    added = cli(home, "connections", "add", "c", *args)
    assert added.returncode == 0, added.stderr
    return home, request.param


def probe(home, tmp_path, *args: str) -> tuple[dict, subprocess.CompletedProcess]:
    out = tmp_path / "probe.json"
    env = clean_env(home, PROBE_OUT=str(out), PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    return json.loads(out.read_text()), done


def test_the_heavy_modules_are_installed():
    """Otherwise their absence below would prove nothing."""
    missing = [name for name in HEAVY if importlib.util.find_spec(name) is None]
    assert not missing


def test_sql_imports_no_heavy_module(connection, tmp_path):
    home, kind = connection
    report, done = probe(home, tmp_path, "sql", "c", SQL, "--format", "csv")
    assert report["code"] == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["a,d", "1,2020-01-02", "2,2020-01-03", "3,2020-01-04"]
    loaded = set(report["modules"])
    assert sorted(loaded & set(HEAVY)) == []
    # -X importtime lines of this process and of any engine worker it started: a package that
    # really loaded brings its submodules (a refused import attempt leaves one bare line)
    assert not re.findall(r"\|\s+(pandas\.\S+)$", done.stderr, re.M)
    if kind == "postgresql":  # the first registered type: no other connector module is loaded
        assert sorted(loaded & set(OTHER_CONNECTORS)) == []


def test_the_demo_type_is_duckdb():
    """workspace_demo names the demo's type rather than importing the DuckDB connector."""
    from olympus.connectors.duckdb import DuckDB
    from olympus.workspace_demo import DEMO_TYPE

    assert DEMO_TYPE == DuckDB.type


def test_elapsed_is_the_query_only(connection):
    """A few ms of query inside a process that spends hundreds importing and connecting: the
    figure it prints must not carry the imports (pandas) or a worker's start-up with it."""
    started = time.perf_counter()
    done = cli(connection[0], "sql", "c", SQL, "--format", "json")
    wall_ms = (time.perf_counter() - started) * 1000
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["rows"] == [[1, "2020-01-02"], [2, "2020-01-03"], [3, "2020-01-04"]]
    assert 0 < data["elapsed_ms"] < wall_ms * 0.2, (data["elapsed_ms"], wall_ms)
