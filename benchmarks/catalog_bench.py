"""Catalog at scale: Olympus's schema read vs LangChain SQLDatabase, SQLAlchemy multi-inspector,
and the bare pg_catalog queries, side by side on one generated database (2,000 tables default)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from typing import Callable

from benchmarks.common import (command_line, Contender, fresh_database, header, postgres, ratio,
                               server_version, side_by_side, target_line, Timing, timing_table,
                               write_results)

COLUMNS_PER_TABLE = 10
TABLES_PER_SCHEMA = 500  # one transaction per schema stays within default lock limits
_TYPES = ("integer", "text", "varchar(120)", "numeric(12,2)", "timestamptz DEFAULT now()",
          "boolean DEFAULT false", "date", "jsonb", "double precision")


# ---- data generation ------------------------------------------------------------------------
def schema_ddl(schema: str, n: int) -> str:
    """One script per schema: n tables x 10 columns, PK, 1-2 FKs each, table + column comments."""
    out = [f'CREATE SCHEMA "{schema}";', f"COMMENT ON SCHEMA \"{schema}\" IS 'bench {schema}';"]
    for i in range(n):
        cols = ["id bigint PRIMARY KEY", "ref_a bigint", "ref_b bigint"]
        cols += [f"c{j} {_TYPES[j % len(_TYPES)]}" for j in range(COLUMNS_PER_TABLE - 3)]
        out.append(f'CREATE TABLE "{schema}".t{i:05d} ({", ".join(cols)});')
        out.append(f"COMMENT ON TABLE \"{schema}\".t{i:05d} IS 'Table {i} of {schema}: orders "
                   "and the like, generated for the catalog benchmark';")
        for col in ["id", "ref_a", "ref_b"] + [f"c{j}" for j in range(COLUMNS_PER_TABLE - 3)]:
            out.append(f"COMMENT ON COLUMN \"{schema}\".t{i:05d}.{col} IS "
                       f"'Column {col} of table {i}';")
    for i in range(n):  # a shallow tree (real schemas are stars, not 500-long FK chains)
        out.append(f'ALTER TABLE "{schema}".t{i:05d} ADD FOREIGN KEY (ref_a) '
                   f'REFERENCES "{schema}".t{(i - 1) // 8 if i else 0:05d} (id);')
        if i % 2 == 0 and i >= 3:
            out.append(f'ALTER TABLE "{schema}".t{i:05d} ADD FOREIGN KEY (ref_b) '
                       f'REFERENCES "{schema}".t{i // 3:05d} (id);')
    return "\n".join(out)


def generate(url: str, tables: int) -> list[str]:
    """Create the schemas (a transaction each); return their names."""
    import psycopg

    schemas = []
    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        for s, first in enumerate(range(0, tables, TABLES_PER_SCHEMA)):
            name = f"bench_{s:02d}"
            with conn.transaction():
                conn.execute(schema_ddl(name, min(TABLES_PER_SCHEMA, tables - first)))
            schemas.append(name)
        conn.autocommit = True  # outside a transaction block ANALYZE locks one table at a time
        conn.execute("ANALYZE")
    print(f"generated {tables} tables / {tables * COLUMNS_PER_TABLE} columns in "
          f"{len(schemas)} schemas in {time.perf_counter() - start:.1f} s", flush=True)
    return schemas


# ---- contenders -----------------------------------------------------------------------------
def olympus_contenders(url: str, check, repeat: int) -> list[Contender]:
    from olympus.catalog import introspect
    from olympus.connectors import create_connector

    def warm():
        connector = create_connector("postgresql", {"url": url})
        assert connector.test().ok  # engine built, one pooled connection open (new backend)
        return connector

    return [
        Contender("Olympus introspect() (connection open)", introspect, setup=warm,
                  teardown=lambda c: c.dispose(), check=check, repeat=repeat,
                  note="fresh connector, pooled connection opened before the clock"),
        Contender("Olympus introspect() incl. connection setup",
                  lambda _: _introspect_fresh(url), check=check, repeat=repeat,
                  note="new connector + engine + connect inside the clock"),
    ]


def _introspect_fresh(url: str):
    from olympus.catalog import introspect
    from olympus.connectors import create_connector

    connector = create_connector("postgresql", {"url": url})
    try:
        return introspect(connector)
    finally:
        connector.dispose()


def _engine(url: str):
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine.connect().close()  # dialect initialisation and the connection itself: off the clock
    return engine


def langchain_contender(url: str, schemas: list[str], tables: int, budget_s: float) -> Contender:
    from langchain_community.utilities import SQLDatabase

    def run(engine):  # SQLDatabase reflects one schema per instance: one per schema
        return [SQLDatabase(engine, schema=s) for s in schemas]

    def check(dbs):
        found = sum(len(db.get_usable_table_names()) for db in dbs)
        assert found == tables, f"SQLDatabase saw {found} tables, expected {tables}"

    return Contender("LangChain SQLDatabase(engine) per schema", run, setup=lambda: _engine(url),
                     teardown=lambda e: e.dispose(), check=check, budget_s=budget_s,
                     note="eager MetaData.reflect; engine connected before the clock")


def inspector_contender(url: str, tables: int) -> Contender:
    from sqlalchemy import inspect

    def run(engine):
        insp = inspect(engine)
        out = {}
        for s in insp.get_schema_names():
            if s in ("information_schema",) or s.startswith("pg_"):
                continue
            out[s] = (insp.get_multi_columns(schema=s), insp.get_multi_pk_constraint(schema=s),
                      insp.get_multi_foreign_keys(schema=s), insp.get_multi_table_comment(schema=s))
        return out

    def check(out):
        found = sum(len(v[0]) for v in out.values())
        assert found == tables, f"inspector saw {found} tables, expected {tables}"

    return Contender("SQLAlchemy Inspector.get_multi_* (all schemas)", run,
                     setup=lambda: _engine(url), teardown=lambda e: e.dispose(), check=check,
                     note="columns, PKs, FKs, comments; engine connected before the clock")


def bare_contender(url: str, queries: tuple[str, ...], name: str, note: str,
                   repeat: int) -> Contender:
    import psycopg

    def run(conn):
        with conn.transaction():
            cur = conn.cursor()
            return [cur.execute(q).fetchall() for q in queries]

    return Contender(name, run, setup=lambda: psycopg.connect(url),
                     teardown=lambda c: c.close(), note=note, repeat=repeat)


def cache_contenders(snapshot) -> tuple[list[Contender], Callable[[], None]]:
    """In-memory hit, and a cold process cache that loads from Olympus's real store (SQLite)."""
    from olympus.catalog import CacheKey, CatalogCache
    from olympus.config import Settings
    from olympus.store import Store

    home = tempfile.mkdtemp(prefix="olympus-bench-store-")
    store = Store.from_settings(Settings.from_env({"OLYMPUS_HOME": home}))
    record = store.add("bench", "bench-pg", "postgresql", {"host": "127.0.0.1",
                                                           "username": "postgres"})
    key = CacheKey("bench", record.id, "fingerprint")
    store.save_schema(key.owner, key.connection_id, snapshot)
    memory = CatalogCache()
    memory.put(key, snapshot)

    def hit(cache):
        out = cache.get(key, None)  # a miss would need the connector and raise: hits only
        assert len(out.tables) == len(snapshot.tables)
        return out

    def cold():
        return CatalogCache(load=lambda k: store.load_schema(k.owner, k.connection_id))

    def close():
        store.dispose()
        shutil.rmtree(home, ignore_errors=True)

    return [
        Contender("CatalogCache.get() in-memory hit", lambda _: hit(memory), repeat=50,
                  note="per-process TTL cache (what every page view after the first gets)"),
        Contender("CatalogCache.get() from the store (SQLite + orjson)", hit, setup=cold,
                  repeat=10, note="process cache cold, e.g. after a restart; "
                  f"{len(snapshot.to_json()) / 1e6:.1f} MB snapshot; columns decoded on first "
                  "use (benchmarks/catalog_load.py)"),
    ], close


# ---- one scale ------------------------------------------------------------------------------
def run_scale(base_url: str, tables: int, repeat: int, sqldb_budget_s: float) -> list[str]:
    from olympus.connectors.postgres import Postgres

    print(f"\n== catalog at {tables} tables ==", flush=True)
    url = fresh_database(base_url, f"olympus_bench_catalog_{tables}")
    schemas = generate(url, tables)
    check = snapshot_check(tables, set(schemas))
    queries = (Postgres.tables_sql, Postgres.columns_sql, Postgres.keys_sql)
    cheap = max(repeat, 9)  # sub-second contenders: more runs, steadier medians on a noisy box
    contenders = olympus_contenders(url, check, cheap) + [
        langchain_contender(url, schemas, tables, sqldb_budget_s),
        inspector_contender(url, tables),
        bare_contender(url, queries, "Bare pg_catalog queries (psycopg fetchall)",
                       "Olympus's three queries, execute + fetchall only: the floor", cheap),
    ]
    timings = side_by_side(contenders, repeat=repeat)
    cache, close = cache_contenders(_introspect_fresh(url))
    cached = side_by_side(cache, repeat=repeat, warmup=1)
    close()
    return report(tables, schemas, list(timings.values()), list(cached.values()))


def snapshot_check(tables: int, schemas: set[str]):
    def check(catalog) -> None:
        ours = [t for t in catalog.tables if t.schema in schemas]
        assert len(ours) == tables, (len(ours), tables)
        assert sum(len(t.columns) for t in ours) == tables * COLUMNS_PER_TABLE
        assert all(t.primary_key == ("id",) and t.description for t in ours)
        sizes = [min(TABLES_PER_SCHEMA, tables - f) for f in range(0, tables, TABLES_PER_SCHEMA)]
        expected_fks = sum(n + len(range(4, n, 2)) for n in sizes)  # ref_a always, ref_b even i>=4
        assert sum(len(t.foreign_keys) for t in ours) == expected_fks
        assert all(c.description for t in ours for c in t.columns)
    return check


def report(tables: int, schemas: list[str], timings: list[Timing],
           cached: list[Timing]) -> list[str]:
    oly = timings[0]
    sqldb, insp, bare = timings[2], timings[3], timings[4]
    hit, store = cached
    lines = [f"## {tables:,} tables / {tables * COLUMNS_PER_TABLE:,} columns "
             f"({len(schemas)} schemas, PK + 1-2 FKs per table, table + column comments)", ""]
    lines += timing_table(timings + cached, oly)
    lines += ["| Target | value | goal | result |", "|---|---:|---|---|",
              target_line("SQLDatabase / Olympus", ratio(sqldb.median, oly.median), ">= 15x",
                          ratio(sqldb.median, oly.median) >= 15),
              target_line("Multi-inspector / Olympus", ratio(insp.median, oly.median), ">= 4x",
                          ratio(insp.median, oly.median) >= 4),
              target_line("Olympus / bare queries", ratio(oly.median, bare.median), "<= 1.5x",
                          ratio(oly.median, bare.median) <= 1.5),
              f"| Cached read (in-memory), ms | {hit.median * 1000:.3f} | <= 20 ms | "
              f"{'**met**' if hit.median <= 0.020 else '**missed**'} |",
              f"| Cached read from the store (cold process cache), ms | {store.median * 1000:.1f} "
              "| <= 20 ms "
              f"(informational) | {'met' if store.median <= 0.020 else 'over'} |", ""]
    if len(sqldb.runs) < 3:
        lines.append(f"SQLDatabase ran {len(sqldb.runs)} time(s) only (`--sqldb-budget`): its "
                     "median is of those runs.\n")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--also", type=int, nargs="*", default=[],
                        help="further scales in the same run, e.g. --also 10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqldb-budget", type=float, default=30.0,
                        help="stop repeating SQLDatabase after this many seconds at a scale")
    parser.add_argument("--out", default="catalog.md")
    args = parser.parse_args(argv)
    with postgres() as base_url:
        version = server_version(base_url)
        sections = []
        for tables in [args.tables, *args.also]:
            sections += run_scale(base_url, tables, args.repeat, args.sqldb_budget)
    lines = header("Catalog at scale: Olympus vs LangChain SQLDatabase, SQLAlchemy inspector, "
                   "bare queries", version,
                   command_line("benchmarks.catalog_bench", argv),
                   [f"Repetitions: {args.repeat} per contender ({max(args.repeat, 9)} for the "
                    "sub-second Olympus and bare-query contenders), round-robin, after one warm-up "
                    "(each repetition opens a new PostgreSQL backend, so its catalog caches "
                    "start cold; disk pages are warm). Medians are the headline; "
                    "'x Olympus' = contender median / Olympus median."]) + sections
    write_results(args.out, lines)


if __name__ == "__main__":
    main()
