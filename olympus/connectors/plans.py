"""EXPLAIN output (never ANALYZE: nothing runs) read into one shape, per engine's plan format.
Connector classes pick a reader with `plan_reader` and the statement with `explain_sql`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Sequence


@dataclass(frozen=True)
class Scan:
    """One table the plan reads: whole (sequential/full) or through an index/search."""

    table: str
    full: bool
    filter: str | None = None  # the engine's own filter text, when it says
    rows: float | None = None  # estimated rows the scan returns


@dataclass(frozen=True)
class Plan:
    """What a plan says before running: estimated rows and cost, bytes, the tables it scans."""

    rows: float | None = None  # estimated rows of the result
    cost: float | None = None  # planner cost units (engine-specific; compare on one engine)
    bytes: int | None = None  # bytes processed/billed (BigQuery dry run, Snowflake)
    scans: tuple[Scan, ...] = ()


@lru_cache(maxsize=64)
def parsed(sql: str, dialect: str):
    """One sqlglot tree per (SQL, dialect) for the preview's readers (read only, never changed);
    None when it doesn't parse."""
    import sqlglot

    try:
        return sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        return None


def with_tables(plan: Plan, sql: str, dialect: str) -> Plan:
    """Scans named by an alias (MySQL, SQLite say 'c' for 'customers c') get the table's name."""
    from dataclasses import replace

    from sqlglot import exp

    tree = parsed(sql, dialect)
    if tree is None:
        return plan
    tables = list(tree.find_all(exp.Table))
    names = {t.alias.lower(): t.name for t in tables if t.alias}
    return replace(plan, scans=tuple(replace(s, table=names.get(s.table.lower(), s.table))
                                     for s in plan.scans))


PlanReader = Callable[[Sequence[Sequence[Any]]], Plan]  # the EXPLAIN result's rows -> Plan


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _doc(rows: Sequence[Sequence[Any]], column: int = 0) -> Any:
    """The JSON document of a one-row EXPLAIN (text or already decoded)."""
    value = rows[0][column]
    return json.loads(value) if isinstance(value, (str, bytes)) else value


# ---- PostgreSQL (and everything that speaks its EXPLAIN (FORMAT JSON)) --------------------------
def postgres_json(rows: Sequence[Sequence[Any]]) -> Plan:
    top = _doc(rows)[0]["Plan"]
    scans = tuple(Scan(n.get("Relation Name") or "?", n["Node Type"] == "Seq Scan",
                       n.get("Filter"), _number(n.get("Plan Rows")))
                  for n in _pg_nodes(top) if "Relation Name" in n)
    return Plan(rows=_number(top.get("Plan Rows")), cost=_number(top.get("Total Cost")),
                scans=scans)


def _pg_nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans") or ():  # Arrow gives absent keys as None
        yield from _pg_nodes(child)


_PG_TEXT = re.compile(r"^\s*(?:->\s*)?(?P<node>[A-Za-z][A-Za-z ]*?)(?: on (?P<table>[\w.\"]+))?"
                      r"(?: \w+)?\s+\(cost=[\d.]+\.\.(?P<cost>[\d.]+) rows=(?P<rows>\d+)")


def postgres_text(rows: Sequence[Sequence[Any]]) -> Plan:
    """Redshift (and PostgreSQL's default) text plans: 'XN Seq Scan on t  (cost=0..1 rows=9 ...)'
    lines, with 'Filter: ...' lines under a scan."""
    lines = [str(r[0]) for r in rows]
    scans: list[Scan] = []
    top: re.Match | None = None
    for i, line in enumerate(lines):
        found = _PG_TEXT.match(line)
        if not found:
            continue
        top = top or found
        if found.group("table"):
            after = lines[i + 1].strip() if i + 1 < len(lines) else ""
            scans.append(Scan(found.group("table").strip('"'), "Seq Scan" in found.group("node"),
                              after[len("Filter:"):].strip() if after.startswith("Filter:")
                              else None, float(found.group("rows"))))
    if top is None:
        return Plan()
    return Plan(rows=float(top.group("rows")), cost=float(top.group("cost")), scans=tuple(scans))


# ---- DuckDB ---------------------------------------------------------------------------------------
def duckdb_json(rows: Sequence[Sequence[Any]]) -> Plan:
    """EXPLAIN (FORMAT JSON): (explain_key, explain_value) with a tree of operators."""
    tree = _doc(rows, 1)
    nodes = [n for root in tree for n in _duck_nodes(root)]
    scans = tuple(Scan(str(n["extra_info"].get("Table", "?")).split(".")[-1],
                       "Sequential" in str(n["extra_info"].get("Type", "")),
                       _duck_text(n["extra_info"].get("Filters")),
                       _number(n["extra_info"].get("Estimated Cardinality")))
                  for n in nodes if "SCAN" in n.get("name", "") and "Table" in n.get("extra_info", {}))
    top = tree[0].get("extra_info", {}) if tree else {}
    return Plan(rows=_number(top.get("Estimated Cardinality")), scans=scans)


def _duck_nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children") or ():
        yield from _duck_nodes(child)


def _duck_text(value: Any) -> str | None:
    if not value:
        return None
    return " AND ".join(value) if isinstance(value, list) else str(value)


# ---- SQLite ---------------------------------------------------------------------------------------
_SQLITE_STEP = re.compile(r"^(?P<kind>SCAN|SEARCH)\s+(?:TABLE\s+)?(?P<table>\S+)(?P<rest>.*)$")


def sqlite_query_plan(rows: Sequence[Sequence[Any]]) -> Plan:
    """EXPLAIN QUERY PLAN: (id, parent, notused, detail) with 'SCAN t' / 'SEARCH t USING INDEX'
    lines; SQLite gives no row or cost estimates."""
    scans = []
    for row in rows:
        found = _SQLITE_STEP.match(str(row[-1]))
        if found:
            scans.append(Scan(found.group("table"), found.group("kind") == "SCAN"
                              and "USING" not in found.group("rest")))
    return Plan(scans=tuple(scans))


# ---- MySQL / MariaDB ------------------------------------------------------------------------------
def mysql_table(rows: Sequence[Sequence[Any]]) -> Plan:
    """Tabular EXPLAIN: id, select_type, table, [partitions,] type, possible_keys, key, key_len,
    ref, rows, [filtered,] Extra; type ALL is a full scan; rows multiply along a join."""
    scans, product = [], 1.0
    for row in rows:
        cells = list(row)
        offset = 1 if len(cells) >= 12 else 0  # MySQL adds partitions (and filtered)
        table, access, estimate = cells[2], cells[3 + offset], _number(cells[8 + offset])
        if not table or str(table).startswith("<"):
            continue
        scans.append(Scan(str(table), str(access).upper() == "ALL", None, estimate))
        product *= estimate or 1.0
    return Plan(rows=product if scans else None, scans=tuple(scans))


# ---- Snowflake ------------------------------------------------------------------------------------
def snowflake_json(rows: Sequence[Sequence[Any]]) -> Plan:
    """EXPLAIN USING JSON: GlobalStats (bytesAssigned, partitions) and TableScan operations."""
    doc = _doc(rows)
    stats = doc.get("GlobalStats", {})
    ops = [op for group in doc.get("Operations", []) for op in group]
    scans = tuple(Scan(str(op.get("objects", ["?"])[0]).split(".")[-1], True,
                       op.get("expressions") and ", ".join(op["expressions"]))
                  for op in ops if op.get("operation") == "TableScan")
    scanned = stats.get("bytesAssigned")
    return Plan(bytes=int(scanned) if scanned is not None else None, scans=scans)
