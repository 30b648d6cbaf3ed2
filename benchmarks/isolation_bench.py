"""Crash isolation's price: the demo's 10,000-row query through run_query with DuckDB in-process
vs in a worker process (olympus.connectors.worker), side by side in one run."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import (Contender, command_line, ratio, side_by_side, target_line,
                               timing_table, write_results)

SQL = "SELECT * FROM loans LIMIT 10000"
IN_PROCESS = "DuckDB in-process (isolated = False)"
ISOLATED = "DuckDB in a worker process, Arrow IPC back (the default)"
TARGET = 1.15


def connectors(path: str):
    from olympus.connectors import create_connector

    local = create_connector("duckdb", {"path": path})
    local.isolated = False
    return local, create_connector("duckdb", {"path": path})


def contenders(local, isolated) -> list[Contender]:
    from olympus.runner import run_query

    def check(result) -> None:
        assert result.row_count == 10_000, result.row_count

    return [Contender(IN_PROCESS, lambda _: run_query(local, SQL, limiter=None), check=check),
            Contender(ISOLATED, lambda _: run_query(isolated, SQL, limiter=None), check=check)]


def one_offs(path: str, directory: str) -> list[str]:
    """What a user waits for once: the first query (worker start) and the query after a crash."""
    from olympus.connectors import create_connector
    from olympus.connectors.worker import EngineCrashed

    fresh = create_connector("duckdb", {"path": path})
    try:
        start = time.perf_counter()
        fresh.fetch("SELECT 1", limit=1, timeout_s=30)
        first = time.perf_counter() - start
        fresh.fetch(f"SELECT * FROM enable_logging(storage='file', storage_path='{directory}')",
                    limit=1, timeout_s=30)
        start = time.perf_counter()
        try:
            fresh.fetch("SELECT 1", limit=1, timeout_s=30)
        except EngineCrashed:
            pass
        crashed = time.perf_counter() - start
        start = time.perf_counter()
        fresh.fetch("SELECT 1", limit=1, timeout_s=30)
        after = time.perf_counter() - start
    finally:
        fresh.dispose()
    return ["| one-off | seconds |", "|---|---:|",
            f"| first query of a connector (starts a worker) | {first:.3f} |",
            f"| the query that crashes the engine (error + restart) | {crashed:.3f} |",
            f"| the next query (on the restarted worker) | {after:.4f} |", ""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="olympus-iso-bench-")
    os.environ["OLYMPUS_DATA_DIR"] = os.pathsep.join(
        p for p in (os.environ.get("OLYMPUS_DATA_DIR"), directory) if p)
    from olympus.demo.build import build_demo

    path = str(Path(directory) / "demo.duckdb")
    build_demo(path)
    local, isolated = connectors(path)
    try:
        timings = side_by_side(contenders(local, isolated), repeat=args.repeat, warmup=2)
    finally:
        local.dispose()
        isolated.dispose()
    base, iso = timings[IN_PROCESS], timings[ISOLATED]
    overhead = ratio(iso.median, base.median)
    import duckdb

    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Crash isolation: DuckDB in-process vs worker process", "", f"- Date: {now}",
             f"- Command: `{command_line('benchmarks.isolation_bench', argv)}`",
             f"- Machine: {os.cpu_count()} cores ({platform.machine()}), Python "
             f"{platform.python_version()}, DuckDB {duckdb.__version__}; shared and noisy: "
             "compare ratios within one run.",
             f"- Query: `{SQL}` on the demo database (`olympus.demo.build_demo`), through "
             "`run_query` (guard, session, Arrow, DataFrame), round-robin, "
             f"{args.repeat} timed runs each after 2 warm-ups.", ""]
    lines += timing_table([base, iso], base)
    lines += ["| target | value | goal | |", "|---|---:|---|---|",
              target_line("isolated / in-process (median)", overhead, f"<= {TARGET:.2f}",
                          overhead <= TARGET),
              f"| isolated / in-process (min, for reference) | {ratio(iso.min, base.min):.2f} | "
              "- | |", "",
              "The absolute cost is the result crossing a pipe as Arrow IPC (~1.3 MB here) plus "
              "one process hand-off: about 1-2 ms. On this shared 2-core machine the median "
              "ratio moves between runs (1.03x-1.56x seen); read it with the min ratio.", ""]
    lines += one_offs(path, directory)
    write_results("isolation.md", lines)
    print(f"overhead {overhead:.3f}x")


if __name__ == "__main__":
    main()
