"""Shared benchmark plumbing: a PostgreSQL to measure against, repeat-and-time, markdown tables."""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import shlex
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ENV_URL = "OLYMPUS_BENCH_PG_URL"


# ---- timing ---------------------------------------------------------------------------------
@dataclass
class Timing:
    """Seconds of each repetition of one contender; median is the headline, min the best case."""

    name: str
    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)


@dataclass
class Contender:
    """One way of doing the work: setup/teardown run outside the clock, fn(state) inside it.

    `check` validates the first timed result (a contender that silently does less cannot win);
    `budget_s` stops repeating a slow contender once its timed runs add up to that much."""

    name: str
    fn: Callable[[Any], Any]
    setup: Callable[[], Any] = lambda: None
    teardown: Callable[[Any], None] = lambda _state: None
    check: Callable[[Any], None] | None = None
    note: str = ""
    budget_s: float = float("inf")
    repeat: int | None = None  # overrides the run's repeat (e.g. many cheap cache reads)


def side_by_side(contenders: list[Contender], *, repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """Round-robin repetitions (A B C, A B C, ...) so machine noise spreads over every contender."""
    timings = {c.name: Timing(c.name, note=c.note) for c in contenders}
    rounds = max([repeat] + [c.repeat or 0 for c in contenders])
    for i in range(warmup + rounds):
        for c in contenders:
            timing, wanted = timings[c.name], c.repeat or repeat
            if i < warmup:
                if c.budget_s == float("inf"):  # slow contenders skip it: the others warmed up
                    _once(c, check=False)
                continue
            if len(timing.runs) >= wanted or (timing.runs and sum(timing.runs) >= c.budget_s):
                continue
            timing.runs.append(_once(c, check=not timing.runs))
    for timing in timings.values():
        print(f"  {timing.name:<60} median {timing.median:9.4f} s  min {timing.min:9.4f} s"
              f"  (n={len(timing.runs)})", flush=True)
    return timings


def _once(c: Contender, *, check: bool) -> float:
    state = c.setup()
    try:
        gc.collect()
        start = time.perf_counter()
        out = c.fn(state)
        elapsed = time.perf_counter() - start
        if check and c.check is not None:
            c.check(out)
        del out
    finally:
        c.teardown(state)
    return elapsed


def ratio(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


# ---- PostgreSQL -----------------------------------------------------------------------------
def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """$OLYMPUS_BENCH_PG_URL, or a throwaway PostgreSQL 16 (pgserver's binaries) on 127.0.0.1.

    TCP rather than pgserver's default Unix socket: ConnectorX cannot use sockets, and every
    contender should pay the same transport. fsync is off only to make data generation quick."""
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    from pgserver._commands import initdb, pg_ctl

    data = Path(tempfile.mkdtemp(prefix="olympus-bench-pg-"))
    user = _system_user(data)
    initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=data, user=user)
    port = _free_port()
    options = (f"-h 127.0.0.1 -p {port} -k {data} -F -c synchronous_commit=off "
               "-c max_locks_per_transaction=1024 -c shared_buffers=256MB")
    pg_ctl(["-w", "-o", options, "-l", str(data / "log"), "start"], pgdata=data, user=user,
           timeout=60)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(Exception):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user, timeout=60)
        import shutil

        shutil.rmtree(data, ignore_errors=True)


def _system_user(data: Path) -> str | None:
    """PostgreSQL refuses to run as root; pgserver's own helper user owns the data dir then."""
    if platform.system() == "Windows" or os.geteuid() != 0:
        return None
    import pwd
    import stat

    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, \
        ensure_user_exists

    ensure_user_exists("pgserver")
    ensure_prefix_permissions(data)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    entry = pwd.getpwnam("pgserver")
    os.chown(data, entry.pw_uid, entry.pw_gid)
    os.chmod(data, 0o700)
    return "pgserver"


def fresh_database(base_url: str, name: str) -> str:
    """Drop and create database `name` on the server; return its URL (same credentials)."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name)
    return url.render_as_string(hide_password=False)


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


# ---- reporting ------------------------------------------------------------------------------
def command_line(module: str, argv: list[str] | None) -> str:
    """The exact command that reproduces a results file (argv None: this process's own)."""
    args = sys.argv[1:] if argv is None else argv
    return f".venv/bin/python -m {module} {' '.join(shlex.quote(a) for a in args)}".strip()


def machine_note(pg_version: str) -> str:
    return (f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
            f"PostgreSQL {pg_version} on the same machine over TCP 127.0.0.1; a shared, noisy "
            "machine: compare ratios within one run, not absolute seconds across runs.")


def header(title: str, pg_version: str, command: str,
           extra: list[str] | None = None) -> list[str]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {title}", "", f"- Date: {now}", f"- Command: `{command}`",
             f"- Machine: {machine_note(pg_version)}"]
    return lines + [f"- {line}" for line in extra or []] + [""]


def timing_table(timings: list[Timing], olympus: Timing) -> list[str]:
    """Median/min seconds per contender and how many times slower than Olympus (median/median)."""
    lines = ["| Contender | median s | min s | runs | x Olympus (median) | note |",
             "|---|---:|---:|---:|---:|---|"]
    for t in timings:
        rel = "1.00 (baseline)" if t is olympus else f"{ratio(t.median, olympus.median):.2f}"
        lines.append(f"| {t.name} | {t.median:.4f} | {t.min:.4f} | {len(t.runs)} | {rel} | "
                     f"{t.note} |")
    return lines + [""]


def target_line(label: str, value: float, goal: str, met: bool) -> str:
    return f"| {label} | {value:.2f} | {goal} | {'**met**' if met else '**missed**'} |"


def write_results(name: str, lines: list[str]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {path}")
    return path
