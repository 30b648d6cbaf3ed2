"""Cold load of a stored catalog snapshot into a Catalog: orjson + columns on first use, next to the
old path (json.loads of the json.dumps blob), through Olympus's real store (SQLite). No database
server needed: the catalog is generated in catalog_bench's shape (10 columns, PK, 1-2 FKs, table and
column comments per table)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile

from benchmarks.common import (command_line, Contender, header, side_by_side, timing_table,
                               write_results)

TARGET_S = 0.100  # cold load of 10,000 tables
_TYPES = ("integer", "text", "character varying(120)", "numeric(12,2)",
          "timestamp with time zone", "boolean", "date", "jsonb", "double precision")
_DEFAULTS = {"timestamp with time zone": "now()", "boolean": "false"}


def generated(tables: int):
    """A Catalog like catalog_bench's generated database, built by the connectors' assemble()."""
    from olympus.catalog import Catalog
    from olympus.connectors._catalog import assemble

    rows, cols, keys = [], [], []
    for i in range(tables):
        schema, n = f"bench_{i // 500:02d}", i % 500
        rows.append((i, schema, f"t{n:05d}", "table",
                     f"Table {n} of {schema}: orders and the like, generated for the catalog "
                     "benchmark", 0))
        names = ["id", "ref_a", "ref_b"] + [f"c{j}" for j in range(7)]
        for j, name in enumerate(names):
            type_ = "bigint" if j < 3 else _TYPES[(j - 3) % len(_TYPES)]
            cols.append((i, name, type_, j != 0, f"Column {name} of table {n}",
                         _DEFAULTS.get(type_)))
        keys.append((i, "p", ["id"], None, None, None))
        keys.append((i, "f", ["ref_a"], schema, f"t{(n - 1) // 8 if n else 0:05d}", ["id"]))
        if n % 2 == 0 and n >= 4:
            keys.append((i, "f", ["ref_b"], schema, f"t{n // 3:05d}", ["id"]))
    return Catalog(assemble(rows, cols, keys), "2026-01-01T00:00:00+00:00")


def contenders(catalog) -> tuple[list[Contender], callable]:
    import sqlalchemy as sa

    from olympus.catalog import Catalog
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.store_db import connections

    home = tempfile.mkdtemp(prefix="olympus-bench-load-")
    store = Store.from_settings(Settings.from_env({"OLYMPUS_HOME": home}))
    new = store.add("bench", "new", "duckdb", {"path": "/tmp/none.duckdb"})
    old = store.add("bench", "old", "duckdb", {"path": "/tmp/none.duckdb"})
    store.save_schema("bench", new.id, catalog)
    legacy = json.dumps(catalog.to_dict(), default=str)  # what save_schema wrote before orjson
    store._set("bench", old.id, schema_json=legacy)
    n_tables, n_columns = len(catalog.tables), sum(len(t.columns) for t in catalog.tables)

    def old_blob() -> str:
        query = sa.select(connections.c.schema_json).where(connections.c.id == old.id)
        with store._read() as conn:
            return conn.execute(query).scalar()

    def check(out) -> None:
        assert len(out.tables) == n_tables and out == catalog

    def columns(out) -> int:
        total = sum(1 for t in out.tables for _ in t.columns)  # iterating decodes; len() counts
        assert total == n_columns
        return total

    def close() -> None:
        store.dispose()
        shutil.rmtree(home, ignore_errors=True)

    size = f"{len(catalog.to_json()) / 1e6:.1f} MB orjson, {len(legacy) / 1e6:.1f} MB json.dumps"
    return [
        Contender("Olympus store.load_schema() -> Catalog", lambda _: store.load_schema(
            "bench", new.id), check=check, note=f"SQLite read + orjson; columns decoded on first "
                                                f"use; {size}"),
        Contender("... then every column decoded", lambda _: columns(store.load_schema(
            "bench", new.id)), note="what the first Schema page view or agent index adds"),
        Contender("Old: SQLite + json.loads -> dict", lambda _: json.loads(old_blob()),
                  note="load_schema before this change (untyped)"),
        Contender("Old blob -> Catalog.from_dict (eager)", lambda _: Catalog.from_dict(
            json.loads(old_blob())), check=check, note="json.loads then every object typed"),
        Contender("Save: Catalog.to_json() (orjson)", lambda _: catalog.to_json(),
                  note="what save_schema encodes now"),
        Contender("Save: json.dumps(to_dict())", lambda _: json.dumps(catalog.to_dict(),
                                                                      default=str),
                  note="what save_schema encoded before"),
    ], close


def run_scale(tables: int, repeat: int) -> list[str]:
    print(f"\n== stored catalog at {tables} tables ==", flush=True)
    found, close = contenders(generated(tables))
    timings = list(side_by_side(found, repeat=repeat, warmup=1).values())
    close()
    load = timings[0]
    lines = [f"## {tables:,} tables / {tables * 10:,} columns", ""]
    lines += timing_table(timings, load)
    if tables >= 10_000:
        met = load.median <= TARGET_S
        lines += ["| Target | value | goal | result |", "|---|---:|---|---|",
                  f"| Cold load into a Catalog, ms | {load.median * 1000:.1f} | <= 100 ms | "
                  f"{'**met**' if met else '**missed**'} |", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--also", type=int, nargs="*", default=[2000])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--out", default="catalog_load.md")
    args = parser.parse_args(argv)
    sections = []
    for tables in [args.tables, *args.also]:
        sections += run_scale(tables, args.repeat)
    lines = header("Stored catalog: cold load into a Catalog (orjson) vs the old json path",
                   "n/a (no server: SQLite store only)",
                   command_line("benchmarks.catalog_load", argv),
                   [f"Repetitions: {args.repeat}, round-robin after one warm-up; medians are the "
                    "headline; 'x Olympus' = contender median / load_schema median. Each run "
                    "reads the blob from SQLite (page cache warm), as after a process restart."]
                   ) + sections
    write_results(args.out, lines)


if __name__ == "__main__":
    main()
