"""The result cache, side by side in one run (issue 12's number: a fully cached re-run of the
demo notebook is >= 20x faster than the uncached run): the demo notebook ("Lending portfolio
review") through Workspace.run_all with the cache off, on (embedded) and on (Redis), and the
same statements alone through Workspace.run_sql, uncached and cached."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Contender, command_line, ratio, side_by_side, write_results

TARGET = 20.0


def workspace(home: Path, **env: str):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env({"OLYMPUS_HOME": str(home), "OLYMPUS_DATA_DIR": str(home),
                                  "OLYMPUS_RATE_LIMIT": "100000000",
                                  "OLYMPUS_USER_RATE_LIMIT": "100000000", **env})
    return Workspace(Store.from_settings(settings), settings=settings)


def demo_workspace(home: Path, **env: str):
    """A store with the Demo connection and the demo notebook (built once, copied per store)."""
    from olympus.notebooks.demo import DEMO_NOTEBOOK, ensure_demo_notebook

    ws = workspace(home, **env)
    record = ws.ensure_demo()
    ensure_demo_notebook(ws, record.name)
    ws.notebook(DEMO_NOTEBOOK)  # there, or the run fails loudly here
    return ws


def statements(ws) -> list[tuple[str, str, dict]]:
    """What one run_all sends to Workspace.run_sql (connection, compiled SQL, bound values)."""
    from olympus.notebooks.demo import DEMO_NOTEBOOK

    calls, original = [], ws.run_sql

    def spy(name, sql, **kwargs):
        calls.append((name, sql, dict(kwargs.get("params") or {})))
        return original(name, sql, **kwargs)
    ws.run_sql = spy
    try:
        ws.run_all(DEMO_NOTEBOOK)
    finally:
        del ws.run_sql
    return calls


def run_all(ws, expect_cached: bool):
    from olympus.notebooks.demo import DEMO_NOTEBOOK

    def fn(_state):
        return ws.run_all(DEMO_NOTEBOOK)

    def check(done) -> None:
        runs = [c for c in done.cells if c.result is not None]
        assert runs and all(c.status == "ok" for c in runs), [c.error for c in done.cells]
        assert all((c.result.cached_at is not None) == expect_cached for c in runs)
    return fn, check


def run_each(ws, calls, expect_cached: bool):
    def fn(_state):
        return [ws.run_sql(name, sql, params=params, source="notebook")
                for name, sql, params in calls]

    def check(results) -> None:
        assert all((r.cached_at is not None) == expect_cached for r in results)
    return fn, check


def contenders(root: Path, redis_url: str | None) -> tuple[list[Contender], int]:
    off = demo_workspace(root / "off", OLYMPUS_CACHE_URL="off")
    on = demo_workspace(root / "on")
    calls = statements(off)  # also warms the uncached pools
    on.run_all("Lending portfolio review")  # fills the cache
    peers = [Contender("run_all, uncached (cache off; warm pools)", *_fc(run_all(off, False))),
             Contender("run_all, fully cached (embedded LRU)", *_fc(run_all(on, True)))]
    if redis_url:
        shared = demo_workspace(root / "redis", OLYMPUS_CACHE_URL=redis_url)
        shared.result_cache.clear()
        shared.run_all("Lending portfolio review")
        peers.append(Contender("run_all, fully cached (Redis)", *_fc(run_all(shared, True))))
    peers += [Contender("its statements via run_sql, uncached", *_fc(run_each(off, calls, False))),
              Contender("its statements via run_sql, cached (embedded)",
                        *_fc(run_each(on, calls, True)))]
    return peers, len(calls)


def _fc(pair):
    """(fn, check) as Contender's positional fn, setup, teardown, check."""
    fn, check = pair
    return fn, (lambda: None), (lambda _state: None), check


def cold_first_run(root: Path) -> float:
    """The very first run_all in a fresh workspace (new pools, nothing cached), for scale."""
    from olympus.notebooks.demo import DEMO_NOTEBOOK

    demo_workspace(root / "cold").close()
    fresh = workspace(root / "cold")  # its own Shared: cold pools, empty cache
    started = time.perf_counter()
    fresh.run_all(DEMO_NOTEBOOK)
    elapsed = time.perf_counter() - started
    fresh.close()
    return elapsed


def start_redis():
    """A throwaway redis-server when one is installed (as the test fixtures do); else None."""
    if not shutil.which("redis-server"):
        return None
    from tests.services import RedisServer

    server = RedisServer()
    server.start()
    return server


def report(timings, cold_s: float, n_statements: int, repeat: int, argv) -> list[str]:
    t = list(timings.values())
    uncached, cached = t[0], t[1]
    headline = ratio(uncached.median, cached.median)
    lines = ["# Result cache: the demo notebook re-run", "",
             f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- Command: `{command_line('benchmarks.notebook_cache_bench', argv)}`",
             f"- {repeat} round-robin repetitions per contender after one warm-up; the demo "
             f"notebook has {n_statements} SQL cells (chained CTEs, a bound date range) on the "
             "embedded DuckDB demo. A shared, noisy machine: compare ratios within one run.",
             "", "| Contender | median ms | min ms | runs | x faster than uncached |",
             "|---|---:|---:|---:|---:|"]
    for timing in t:
        base = uncached if timing.name.startswith("run_all") else t[-2]
        lines.append(f"| {timing.name} | {timing.median * 1000:.1f} | {timing.min * 1000:.1f} "
                     f"| {len(timing.runs)} | {ratio(base.median, timing.median):.1f} |")
    lines += ["", f"- First run_all in a fresh workspace (cold pools, empty cache): "
                  f"{cold_s * 1000:.0f} ms ({ratio(cold_s, cached.median):.1f}x the cached "
                  "re-run).",
              f"- Target: a fully cached re-run >= {TARGET:.0f}x faster than the uncached run "
              f"(warm pools): **{headline:.1f}x — {'met' if headline >= TARGET else 'not met'}**; "
              f"against the first (cold) run: {ratio(cold_s, cached.median):.1f}x.",
              f"- Where a cached re-run's time goes: {t[-1].median * 1000 / n_statements:.1f} ms "
              "per statement in run_sql (visibility read, rate-limit count, query-log and audit "
              "write, Arrow decode), and "
              f"{max(cached.median - t[-1].median, 0) * 1000:.1f} ms in the notebook engine "
              "(compiling the chained cells, the run_all version, cell-run records). The warm "
              "uncached statement on the embedded demo costs only "
              f"{t[-2].median * 1000 / n_statements:.1f} ms, so those fixed costs bound the "
              "warm ratio; on a remote warehouse the uncached side grows and the cached side "
              "does not."]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--out", default="notebook_cache.md")
    args = parser.parse_args(argv)
    server = None if args.no_redis else start_redis()
    root = Path(tempfile.mkdtemp(prefix="olympus-cache-bench-"))
    os.environ["OLYMPUS_DATA_DIR"] = str(root)  # file connections open only files under it
    try:
        peers, n = contenders(root, server.url if server else None)
        timings = side_by_side(peers, repeat=args.repeat)
        cold = cold_first_run(root)
    finally:
        if server is not None:
            server.stop()
    write_results(args.out, report(timings, cold, n, args.repeat,
                                   sys.argv[1:] if argv is None else argv))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
