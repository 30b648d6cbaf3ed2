"""Large result: 1,000,000 rows x 5 columns from PostgreSQL into a DataFrame — Olympus's guarded
runner vs pandas.read_sql, ADBC and ConnectorX, side by side; then what each safety layer costs."""

from __future__ import annotations

import argparse
import time

from benchmarks.common import (command_line, Contender, fresh_database, header, postgres, ratio,
                               server_version, side_by_side, target_line, Timing, timing_table,
                               write_results)

SQL = "SELECT * FROM big"
OLYMPUS = "Olympus run_query(limit=None): guard + read-only tx + timeout"
READ_SQL = "pandas.read_sql (SQLAlchemy + psycopg)"
ADBC = "ADBC direct: fetch_arrow_table().to_pandas(ArrowDtype)"
CX_ARROW = "ConnectorX return_type='arrow' + to_pandas(ArrowDtype)"
CX_PANDAS = "ConnectorX return_type='pandas'"


def generate(url: str, rows: int) -> None:
    """int, text, numeric(12,2), timestamp, bool; VACUUM so every contender reads the same pages."""
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE big (id integer PRIMARY KEY, name text, amount numeric(12,2), "
                     "created_at timestamp, active boolean)")
        conn.execute("INSERT INTO big SELECT g, 'customer ' || g, round((g %% 100000) * 1.37, 2), "
                     "timestamp '2020-01-01' + g * interval '17 seconds', g %% 3 = 0 "
                     "FROM generate_series(1, %s) g", (rows,))
        conn.execute("VACUUM ANALYZE big")
    print(f"generated {rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)


AMOUNT_DTYPES: dict[str, str] = {}  # contender -> dtype its DataFrame gave the numeric column


def frame_check(rows: int, name: str):
    def check(df) -> None:
        assert df.shape == (rows, 5), df.shape
        AMOUNT_DTYPES[name] = str(df["amount"].dtype)
    return check


# ---- contenders -----------------------------------------------------------------------------
def contenders(url: str, rows: int, connector, budget_s: float) -> list[Contender]:
    import adbc_driver_postgresql.dbapi as pgdb
    import connectorx as cx
    import pandas as pd
    from sqlalchemy import create_engine

    from olympus.runner import run_query

    uri = connector.libpq_uri()
    adbc = pgdb.connect(uri)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine.connect().close()

    def olympus(_):
        return run_query(connector, SQL, limit=None, limiter=None).df

    def adbc_direct(_):
        with adbc.cursor() as cur:
            cur.execute(SQL)
            return cur.fetch_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)

    def cx_arrow(_):
        return cx.read_sql(uri, SQL, return_type="arrow").to_pandas(types_mapper=pd.ArrowDtype)

    return [
        Contender(OLYMPUS, olympus, check=frame_check(rows, OLYMPUS),
                  note="ADBC pool warm; numeric read as text -> exact decimal128(12,2)"),
        Contender(READ_SQL, lambda _: pd.read_sql(SQL, engine), budget_s=budget_s,
                  check=frame_check(rows, READ_SQL),
                  note="engine connected; NumPy frame (coerce_float)"),
        Contender(ADBC, adbc_direct, check=frame_check(rows, ADBC),
                  note="connection open; numeric left as opaque PostgreSQL text"),
        Contender(CX_ARROW, cx_arrow, check=frame_check(rows, CX_ARROW),
                  note="connects inside each call (its API)"),
        Contender(CX_PANDAS, lambda _: cx.read_sql(uri, SQL, return_type="pandas"),
                  check=frame_check(rows, CX_PANDAS), note="connects inside each call"),
    ], lambda: (adbc.close(), engine.dispose())


# ---- safety layers, one by one --------------------------------------------------------------
def safety_costs(connector, repeat: int) -> list[Timing]:
    """Guard parse, pool checkout (pre-ping), the two session SETs, normalize(), to_pandas()."""
    from olympus.connectors import pg_arrow
    from olympus.guard import check_sql
    from olympus.runner import to_pandas

    pool = pg_arrow.make_pool(connector)

    def session_sets(conn):
        cur = conn.dbapi_connection.cursor()
        start = time.perf_counter()
        cur.execute("SET TRANSACTION READ ONLY")
        cur.execute("SET LOCAL statement_timeout = 30000")
        elapsed = time.perf_counter() - start
        cur.close()
        return elapsed

    def raw_table():
        conn = pool.connect()
        try:
            cur = conn.dbapi_connection.cursor()
            cur.execute(SQL)
            table = cur.fetch_arrow_table()
            cur.close()
        finally:
            conn.close()
        return table

    def describe(_):
        conn = pool.connect()
        try:
            cur = conn.dbapi_connection.cursor()
            pg_arrow._numeric_schema(cur, SQL)
            cur.close()
        finally:
            conn.close()

    raw = raw_table()
    normal = pg_arrow.normalize(raw)
    timed = side_by_side([
        Contender("guard: check_sql(SQL, 'postgres')", lambda _: check_sql(SQL, "postgres"),
                  repeat=max(repeat, 50)),
        Contender("pool checkout + return (pre-ping SELECT 1, rollback)",
                  lambda _: pool.connect().close(), repeat=max(repeat, 20)),
        Contender("describe for numeric-as-text (checkout + adbc_execute_schema; not safety)",
                  describe, repeat=max(repeat, 20)),
        Contender("normalize(): numeric text -> decimal128(12,2)",
                  lambda _: pg_arrow.normalize(raw), repeat=repeat),
        Contender("to_pandas(types_mapper=ArrowDtype)", lambda _: to_pandas(normal),
                  repeat=repeat),
    ], repeat=repeat)
    sets = Timing("SET TRANSACTION READ ONLY + SET LOCAL statement_timeout (2 round trips)")
    for _ in range(max(repeat, 20)):
        conn = pool.connect()
        try:
            sets.runs.append(session_sets(conn))
        finally:
            conn.close()
    print(f"  {sets.name:<60} median {sets.median:9.4f} s")
    pool.dispose()
    return list(timed.values()) + [sets]


def report(rows: int, timings: list[Timing], safety: list[Timing]) -> list[str]:
    oly, read_sql, adbc = timings[0], timings[1], timings[2]
    peers = timings[2:]
    fastest = min(peers, key=lambda t: t.median)
    lines = [f"## {rows:,} rows x 5 columns (integer, text, numeric(12,2), timestamp, boolean)",
             "", f"Query: `{SQL}`; every contender returns a pandas DataFrame of all rows.", ""]
    lines += timing_table(timings, oly)
    lines += ["Numeric column `amount` as each contender returns it: " + "; ".join(
        f"{name.split(':')[0].split(' (')[0]}: `{dtype}`" for name, dtype in AMOUNT_DTYPES.items()),
        ""]
    lines += ["| Target | value | goal | result |", "|---|---:|---|---|",
              target_line("pandas.read_sql / Olympus", ratio(read_sql.median, oly.median),
                          ">= 5x", ratio(read_sql.median, oly.median) >= 5),
              target_line(f"Olympus / fastest peer ({fastest.name})",
                          ratio(oly.median, fastest.median), "<= 1.3x",
                          ratio(oly.median, fastest.median) <= 1.3), ""]
    total = sum(t.median for t in safety if not t.name.startswith(("to_pandas", "describe")))
    lines += ["### What the safety layers cost (medians, measured one by one)", "",
              "| Layer | median ms | min ms | share of Olympus median |", "|---|---:|---:|---:|"]
    for t in safety:
        lines.append(f"| {t.name} | {t.median * 1000:.2f} | {t.min * 1000:.2f} | "
                     f"{100 * t.median / oly.median:.1f}% |")
    lines += ["", f"Guard + pool pre-ping + session SETs + normalize() together: "
              f"{total * 1000:.1f} ms, {100 * total / oly.median:.1f}% of the Olympus median. "
              f"Olympus vs bare ADBC (which skips all of them and leaves numeric as opaque text): "
              f"{ratio(oly.median, adbc.median):.2f}x.", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--read-sql-budget", type=float, default=25.0,
                        help="stop repeating pandas.read_sql after this many seconds")
    parser.add_argument("--out", default="result.md")
    args = parser.parse_args(argv)
    from olympus.connectors import create_connector

    with postgres() as base_url:
        version = server_version(base_url)
        url = fresh_database(base_url, "olympus_bench_result")
        generate(url, args.rows)
        connector = create_connector("postgresql", {"url": url})
        try:
            peers, close = contenders(url, args.rows, connector, args.read_sql_budget)
            print(f"\n== {args.rows:,} rows ==", flush=True)
            timings = list(side_by_side(peers, repeat=args.repeat).values())
            close()
            safety = safety_costs(connector, args.repeat)
        finally:
            connector.dispose()
    lines = header("Large result: Olympus runner vs pandas.read_sql, ADBC, ConnectorX", version,
                   command_line("benchmarks.result_bench", argv),
                   [f"Repetitions: {args.repeat} per contender (pandas.read_sql stops after "
                    f"{args.read_sql_budget:.0f} s), round-robin, after one warm-up. "
                    "'x Olympus' = contender median / Olympus median."])
    write_results(args.out, lines + report(args.rows, timings, safety))


if __name__ == "__main__":
    main()
