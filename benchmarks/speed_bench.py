"""Small things, side by side in one run: a warm SELECT 1 through every safety layer against a
SQLAlchemy pool (PostgreSQL) and `duckdb` itself; the first query on a new connection on an empty
and a 10,000-table database; the whole `python -m olympus sql` process against a five-line
psycopg script."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import (Contender, fresh_database, header, postgres, ratio, server_version,
                               side_by_side, write_results)

ROOT = Path(__file__).resolve().parent.parent
PSYCOPG_SCRIPT = """import psycopg, sys
with psycopg.connect(sys.argv[1]) as conn:
    rows = conn.execute("SELECT 1").fetchall()
print(rows)
"""


def _loop(fn, n: int):
    """One timed 'run' = n calls; the table reports the per-call time."""
    def run(_state):
        for _ in range(n):
            out = fn()
        return out
    return run


def workspace(home: str):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env({"OLYMPUS_HOME": home, "OLYMPUS_RATE_LIMIT": "100000000",
                                  "OLYMPUS_USER_RATE_LIMIT": "100000000",
                                  "OLYMPUS_DATA_DIR": home})
    return Workspace(Store.from_settings(settings), settings=settings)


def warm_postgres(url: str, ws, repeat: int, n: int) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           pool_pre_ping=True)

    def pooled():
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).all()
    ws.add_connection("pg", "postgresql", {"url": url}, require_read_only_role=False)
    ws.set_cache_ttl("pg", 0)  # the result cache off: every call runs on the database
    peers = [Contender("SQLAlchemy pool (pre-ping), SELECT 1", _loop(pooled, n)),
             Contender("Olympus Workspace.run_sql('SELECT 1'), every layer on",
                       _loop(lambda: ws.run_sql("pg", "SELECT 1"), n),
                       check=lambda r: r.rows() == [[1]] or r)]
    timings = side_by_side(peers, repeat=repeat)
    engine.dispose()
    return [(t.name, t.median / n * 1000) for t in timings.values()]


def warm_duckdb(home: str, ws, repeat: int, n: int) -> tuple[list, list]:
    """(wall ms per call, CPU ms per call of this process and its workers) per contender."""
    import duckdb

    path = os.path.join(home, "bench.duckdb")
    duckdb.connect(path).execute("CREATE TABLE t AS SELECT 1 AS one").close()
    ws.add_connection("duck", "duckdb", {"path": path})
    ws.set_cache_ttl("duck", 0)
    copy = os.path.join(home, "bench-direct.duckdb")  # this process keeps `path` open its way
    shutil.copyfile(path, copy)
    native = duckdb.connect(copy, read_only=True)

    def direct():
        return native.cursor().execute("SELECT 1").to_arrow_table()
    cpu: dict[str, list[float]] = {}
    peers = [Contender(name, _cpu_loop(fn, n, cpu.setdefault(name, [])))
             for name, fn in (("duckdb in-process (cursor, Arrow), SELECT 1", direct),
                              ("Olympus Workspace.run_sql('SELECT 1') (worker process)",
                               lambda: ws.run_sql("duck", "SELECT 1")))]
    timings = side_by_side(peers, repeat=repeat)
    native.close()
    return ([(t.name, t.median / n * 1000) for t in timings.values()],
            [(name, statistics.median(runs) * 1000) for name, runs in cpu.items()])


def _cpu_loop(fn, n: int, spent: list):
    """_loop, also keeping each run's CPU seconds per call (this process and its workers)."""
    run = _loop(fn, n)

    def timed(state):
        before = _cpu_s()
        out = run(state)
        spent.append((_cpu_s() - before) / n)
        return out
    return timed


def _cpu_s() -> float:
    """CPU seconds of this process (every thread) and of its DuckDB worker processes' threads
    (from /proc; not the local PostgreSQL server's): a robust second measure on a noisy
    machine, where wall time also holds other people's work."""
    total = time.process_time()
    me = str(os.getpid())
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            if not pid.isdigit() or pid == me or _parent(pid) != me or not _worker(pid):
                continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as stat:
                    total += int(stat.read().split()[0]) / 1e9
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def _worker(pid: str) -> bool:
    from olympus.connectors.worker import CHILD_MODULE

    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return CHILD_MODULE.encode() in cmdline.read()


def _parent(pid: str) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[1]


def many_tables(url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, count, 500):
            conn.execute("; ".join(f"CREATE TABLE t{i} (id int primary key, name text, at date)"
                                   for i in range(start, min(count, start + 500))))


def first_query(urls: dict[str, str], repeat: int) -> list:
    """A new connector (new pool, new connection) and its first run_query, per database."""
    from olympus.connectors import create_connector
    from olympus.runner import run_query

    def first(url):
        def run(_state):
            connector = create_connector("postgresql", {"url": url})
            try:
                return run_query(connector, "SELECT 1", limiter=None)
            finally:
                connector.dispose()
        return run
    peers = [Contender(f"first query, {name}", first(url)) for name, url in urls.items()]
    return [(t.name, t.median * 1000) for t in side_by_side(peers, repeat=repeat).values()]


def cli(url: str, repeat: int) -> list:
    home = tempfile.mkdtemp(prefix="olympus-bench-cli-")
    env = {**os.environ, "OLYMPUS_HOME": home, "PYTHONPATH": str(ROOT)}
    python = sys.executable
    # olympus's bytecode compiled once, as any installed or once-run checkout has it (the
    # script's libraries were compiled by pip; PYTHONDONTWRITEBYTECODE would recompile ours)
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "olympus")], check=True)
    subprocess.run([python, "-m", "olympus", "connections", "add", "pg", "--url", url],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    script = Path(home) / "five_lines.py"
    script.write_text(PSYCOPG_SCRIPT)

    def proc(args):
        return lambda _s: subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)
    peers = [Contender("five-line psycopg script (whole process)", proc([python, str(script), url])),
             Contender('python -m olympus sql pg "SELECT 1" (whole process)',
                       proc([python, "-m", "olympus", "sql", "pg", "SELECT 1"]))]
    return [(t.name, t.median * 1000) for t in side_by_side(peers, repeat=repeat).values()]


def table(rows: list, target: str, limit: float) -> list[str]:
    (peer, base), *others = rows
    lines = ["| Contender | median ms | x peer | target |", "|---|---:|---:|---|",
             f"| {peer} | {base:.3f} | 1.00 | |"]
    for name, ms in others:
        r = ratio(ms, base)
        lines.append(f"| {name} | {ms:.3f} | {r:.2f} | {target} {'met' if r <= limit else 'NOT met'} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100, help="calls per timed warm run")
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--out", default="speed.md")
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="olympus-bench-speed-")
    os.environ["OLYMPUS_DATA_DIR"] = home  # file connections may open files only under it
    ws = workspace(home)
    with postgres() as base:
        version = server_version(base)
        empty, big = fresh_database(base, "speed_empty"), fresh_database(base, "speed_big")
        many_tables(big, args.tables)
        print("== warm PostgreSQL ==", flush=True)
        pg = warm_postgres(empty, ws, args.repeat, args.calls)
        print("== warm DuckDB ==", flush=True)
        duck, duck_cpu = warm_duckdb(home, ws, args.repeat, args.calls)
        print("== first query ==", flush=True)
        first = first_query({"empty database": empty,
                             f"{args.tables:,}-table database": big}, args.repeat)
        print("== CLI ==", flush=True)
        whole = cli(empty, args.repeat)
    ws.close()
    lines = header("Small things: warm query, first query, CLI process", version,
                   f".venv/bin/python -m benchmarks.speed_bench {' '.join(argv or sys.argv[1:])}",
                   [f"{args.repeat} round-robin repetitions per contender after one warm-up; warm "
                    f"runs time {args.calls} calls each (per-call ms shown)."])
    lines += ["## Warm SELECT 1, PostgreSQL (guard, read-only transaction, timeout, rate limits, "
              "query log, audit all on)", ""] + table(pg, "<= 3x", 3)
    lines += ["## Warm SELECT 1, DuckDB (same layers; the query runs in a worker process)", ""]
    lines += table(duck, "<= 3x", 3)
    (_, peer_cpu), (_, ours_cpu) = duck_cpu
    lines += [f"CPU per call (this process and its worker processes, median of the runs): duckdb "
              f"{peer_cpu:.3f} ms, Olympus {ours_cpu:.3f} ms ({ratio(ours_cpu, peer_cpu):.2f}x).",
              ""]
    lines += ["## First query on a new connection", ""] + table(first, "<= 1.5x", 1.5)
    lines += ["## `python -m olympus sql` whole process", ""] + table(whole, "<= 4x", 4)
    write_results(args.out, lines)


if __name__ == "__main__":
    main()
