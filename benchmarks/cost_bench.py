"""The cost preview's price: Workspace.run_sql alone vs Workspace.preview (EXPLAIN, never ANALYZE,
plus the hints) followed by the same run_sql, side by side in one run, on PostgreSQL and DuckDB.
Target (issue 14): the preview adds <= 10% to a query's total time."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from benchmarks.common import (Contender, fresh_database, header, postgres, ratio, server_version,
                               side_by_side, write_results)

# Typical analyst queries: a filtered aggregate, a join with a group, a top-N.
PG_QUERIES = (
    "SELECT region, count(*), sum(amount) FROM sales WHERE day >= DATE '2024-06-01' "
    "GROUP BY region",
    "SELECT c.segment, avg(s.amount) FROM sales s JOIN customers c ON c.id = s.customer_id "
    "GROUP BY c.segment",
    "SELECT customer_id, sum(amount) AS total FROM sales GROUP BY customer_id "
    "ORDER BY total DESC LIMIT 20",
)
DUCK_QUERIES = (
    "SELECT status, count(*), sum(principal) FROM loans WHERE origination_date >= DATE "
    "'2024-01-01' GROUP BY status",
    "SELECT b.region, avg(l.interest_rate) FROM loans l JOIN branches b ON b.branch_id = "
    "l.branch_id GROUP BY b.region",
    "SELECT customer_id, sum(principal) AS total FROM loans GROUP BY customer_id "
    "ORDER BY total DESC LIMIT 20",
)


def generate(url: str, rows: int) -> None:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, segment text)")
        conn.execute("INSERT INTO customers SELECT g, (ARRAY['retail','smb','enterprise'])"
                     "[1 + g % 3] FROM generate_series(1, 20000) g")
        conn.execute("CREATE TABLE sales (id int PRIMARY KEY, customer_id int REFERENCES "
                     "customers(id), region text, day date, amount numeric(12,2))")
        conn.execute("INSERT INTO sales SELECT g, 1 + g %% 20000, (ARRAY['north','south','east',"
                     "'west'])[1 + g %% 4], DATE '2024-01-01' + (g %% 365), (g %% 1000) * 1.5 "
                     "FROM generate_series(1, %s) g", (rows,))
        conn.execute("VACUUM ANALYZE")
    print(f"generated {rows:,} sales rows in {time.perf_counter() - start:.1f} s", flush=True)


def workspace(home: str):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env({"OLYMPUS_HOME": home, "OLYMPUS_RATE_LIMIT": "100000000",
                                  "OLYMPUS_USER_RATE_LIMIT": "100000000",
                                  "OLYMPUS_DATA_DIR": home})
    return Workspace(Store.from_settings(settings), settings=settings)


def pair(ws, name: str, queries: tuple[str, ...], repeat: int) -> tuple[float, float, float]:
    """(run_sql ms, preview + run_sql ms, preview alone ms) per query set, medians; the result
    cache is bypassed (refresh=True): a cached answer would need no preview at all."""
    def plain(_):
        return [ws.run_sql(name, q, refresh=True) for q in queries]

    def previewed(_):
        out = []
        for q in queries:
            ws.preview(name, q)
            out.append(ws.run_sql(name, q, refresh=True))
        return out

    def alone(_):
        return [ws.preview(name, q) for q in queries]
    timings = side_by_side([Contender("run_sql", plain), Contender("preview + run_sql", previewed),
                            Contender("preview alone", alone)], repeat=repeat, warmup=2)
    return tuple(t.median * 1000 for t in timings.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default="cost.md")
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="olympus-bench-cost-")
    os.environ["OLYMPUS_DATA_DIR"] = home
    ws = workspace(home)
    with postgres() as base:
        version = server_version(base)
        url = fresh_database(base, "cost_bench")
        generate(url, args.rows)
        ws.add_connection("pg", "postgresql", {"url": url}, require_read_only_role=False)
        ws.schema("pg")
        print("== PostgreSQL ==", flush=True)
        pg = pair(ws, "pg", PG_QUERIES, args.repeat)
        demo = ws.ensure_demo()
        ws.schema(demo.name)
        print("== DuckDB (demo) ==", flush=True)
        duck = pair(ws, demo.name, DUCK_QUERIES, args.repeat)
    ws.close()
    lines = header("Cost preview overhead", version,
                   f".venv/bin/python -m benchmarks.cost_bench {' '.join(argv or sys.argv[1:])}",
                   [f"{args.repeat} round-robin repetitions after two warm-ups; each timed run "
                    "is three analyst queries (filtered aggregate, join + group, top-N); "
                    f"PostgreSQL: {args.rows:,} sales rows, DuckDB: the demo database."])
    lines += ["| Database | run_sql ms | preview + run_sql ms | added | preview alone ms | "
              "target |", "|---|---:|---:|---:|---:|---|"]
    for label, (plain, both, alone) in (("PostgreSQL", pg), ("DuckDB (worker process)", duck)):
        added = ratio(both, plain) - 1
        lines.append(f"| {label} | {plain:.1f} | {both:.1f} | {added:+.1%} | {alone:.1f} | "
                     f"<= +10% {'met' if added <= 0.10 else 'NOT met'} |")
    write_results(args.out, lines + [""])


if __name__ == "__main__":
    main()
