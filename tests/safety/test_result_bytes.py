"""Results are capped in bytes while fetching, not only in rows (3,000 rows of 1 MB each)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import duckdb
import pytest

from tests.services import ROOT

MB = 1024 ** 2
CAP = 64 * MB
WIDE = {
    "postgresql": "SELECT g, repeat('x', 1000000) AS v FROM generate_series(1, 3000) AS g",
    "duckdb": "SELECT range AS g, repeat('x', 1000000) AS v FROM range(3000)",
    "sqlite": "WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < 3000) "
              "SELECT g, printf('%.*c', 1000000, 'x') AS v FROM r",
    "mysql": "WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < 3000) "
             "SELECT g, repeat('x', 1000000) AS v FROM r",
}


def _measure(kind: str, target: str, sql: str, cap: int = CAP) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.safety.measure_result", kind, target, sql,
                           str(cap)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def files(tmp_path):
    duck, lite = tmp_path / "m.duckdb", tmp_path / "m.sqlite"
    duckdb.connect(str(duck)).close()
    sqlite3.connect(lite).close()
    return {"duckdb": str(duck), "sqlite": str(lite)}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_wide_rows_stop_at_the_byte_cap_and_memory_stays_bounded(kind, files, pg_url):
    target = pg_url if kind == "postgresql" else files[kind]
    out = _measure(kind, target, WIDE[kind])
    assert "error" not in out, out
    assert out["truncated_by"] == "bytes", out
    assert 10 <= out["rows"] < 3000 and out["bytes"] <= CAP + MB, out
    assert out["peak_mb"] - out["base_mb"] < CAP / MB + 300, out  # cap + 300 MB


def test_duckdb_wide_rows_are_cut_by_bytes(files):
    """The cap holds for what DuckDB hands over (its own vectors are the engine's memory)."""
    out = _measure("duckdb", files["duckdb"],
                   "SELECT range AS g, repeat('x', 100000) AS v FROM range(5000)", cap=8 * MB)
    assert out["truncated_by"] == "bytes" and 10 <= out["rows"] < 5000, out
    assert out["bytes"] <= 9 * MB, out


def test_narrow_results_are_cut_by_rows_not_bytes(files):
    out = _measure("duckdb", files["duckdb"], "SELECT range AS g FROM range(20000)")
    assert out["rows"] == 10_000 and out["truncated_by"] == "rows", out


def test_a_huge_sqlite_expression_stops_at_once(files):
    """Nested replace() over a 300 MB printf() ran 65 s inside one C call and took 5.5 GB; no
    value may now grow past the byte cap: printf() gives NULL, replace() fails at once."""
    started = time.monotonic()
    out = _measure("sqlite", files["sqlite"], "SELECT length(replace(replace(printf('%.*c', "
                   "300000000, 'x'), 'x', 'xx'), 'x', 'xx')) AS n")
    grown = _measure("sqlite", files["sqlite"], "SELECT length(replace(replace(printf('%.*c', "
                     "40000000, 'x'), 'x', 'xx'), 'x', 'xx')) AS n")
    assert time.monotonic() - started < 31
    assert out.get("first") in ("<NA>", "None"), out
    assert "too big" in grown.get("error", ""), grown
    assert max(out["peak_mb"] - out["base_mb"], grown["peak_mb"] - grown["base_mb"]) < 600


@pytest.mark.slow
def test_mysql_wide_rows_stream_and_stop_at_the_byte_cap(mysql_server):
    """PyMySQL's default cursor would hold all 3 GB before the cap could act: rows stream, and
    the query is killed on the server once the cap is reached."""
    params = {"host": mysql_server.host, "port": mysql_server.port,
              "username": mysql_server.reader, "password": mysql_server.reader_password,
              "ssl": "disabled"}
    started = time.monotonic()
    out = _measure("mysql", json.dumps(params), WIDE["mysql"])
    assert "error" not in out, out
    assert out["truncated_by"] == "bytes" and 10 <= out["rows"] < 3000, out
    assert out["peak_mb"] - out["base_mb"] < CAP / MB + 300, out
    assert time.monotonic() - started < 60
