"""Rule-based hints from a query's plan and its SQL. Each says what it saw; none promises a speed-up
(nothing here measured one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlglot import exp

from olympus.connectors.plans import Plan, parsed

WIDE = 20  # columns: SELECT * on a table wider than this is worth a word
BIG = 10_000  # rows: a full scan of a smaller table is cheap whatever it filters
SELECTIVE = 0.05  # a filter keeping at most this share of a table's rows is selective
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Like)


@dataclass(frozen=True)
class Hint:
    """One observation about a query, before it runs."""

    kind: str  # seq_scan | partition_filter | cartesian_join | select_star | wrapped_column
    saw: str  # what the plan or the SQL shows
    suggestion: str  # what could be tried


@dataclass(frozen=True)
class Facts:
    """What the hints may know besides the SQL: the plan, table sizes, indexes, partitions."""

    plan: Plan
    rows: Mapping[str, int]  # table name (lower case) -> row estimate
    widths: Mapping[str, int]  # table name -> number of columns
    indexed: Mapping[str, frozenset[str]]  # table -> columns that lead an index (or the key)
    partitions: Mapping[str, str]  # table -> its partitioning column (BigQuery)


def hints(sql: str, dialect: str, facts: Facts) -> tuple[Hint, ...]:
    """Every hint that applies, in a stable order."""
    tree = parsed(sql, dialect)
    if tree is None:
        return ()
    aliases = _aliases(tree)
    found = [*_seq_scans(tree, aliases, facts), *_partitions(tree, aliases, facts),
             *_cartesian(tree), *_stars(tree, aliases, facts), *_wrapped(tree, aliases, facts)]
    return tuple(dict.fromkeys(found))


def _aliases(tree: exp.Expression) -> dict[str, str]:
    """alias or name (lower case) -> table name (lower case), for every table the SQL reads."""
    out: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        out[name] = name
        if table.alias:
            out[table.alias.lower()] = name
    return out


def _owner(column: exp.Column, aliases: Mapping[str, str], facts: Facts) -> str | None:
    """The table a column belongs to: its qualifier, or the one table the SQL reads."""
    if column.table:
        return aliases.get(column.table.lower())
    tables = set(aliases.values())
    return next(iter(tables)) if len(tables) == 1 else None


def _filter_columns(tree: exp.Expression, aliases, facts) -> dict[str, set[str]]:
    """table -> the bare columns its WHERE clauses compare (not wrapped in a function)."""
    out: dict[str, set[str]] = {}
    for where in tree.find_all(exp.Where):
        for cmp in where.find_all(*_COMPARISONS):
            for col in (a for a in cmp.args.values() if isinstance(a, exp.Column)):
                table = _owner(col, aliases, facts)
                if table:
                    out.setdefault(table, set()).add(col.name.lower())
    return out


def _seq_scans(tree, aliases, facts: Facts):
    filtered = _filter_columns(tree, aliases, facts)
    for scan in facts.plan.scans:
        table = scan.table.split(".")[-1].strip('"').lower()
        total = facts.rows.get(table)
        if not scan.full or not total or total < BIG or scan.rows is None:
            continue
        share = scan.rows / total
        columns = sorted(filtered.get(table, set()) - facts.indexed.get(table, frozenset()))
        if share > SELECTIVE or not columns:
            continue
        yield Hint("seq_scan", f"The plan reads all of {table} (about {total:,} rows) to keep "
                   f"about {scan.rows:,.0f} ({share:.1%}) with a filter on "
                   f"{', '.join(columns)}, which no index starts with.",
                   f"An index may help: CREATE INDEX ON {table} ({columns[0]}).")


def _partitions(tree, aliases, facts: Facts):
    filtered = _filter_columns(tree, aliases, facts)
    for table in sorted(set(aliases.values())):
        column = facts.partitions.get(table)
        if column and column.lower() not in filtered.get(table, set()):
            yield Hint("partition_filter", f"{table} is partitioned on {column}, and the query "
                       f"doesn't filter on {column}: every partition is scanned.",
                       f"Add a filter on {column} (e.g. a date range) to scan fewer partitions.")


def _cartesian(tree):
    for select in tree.find_all(exp.Select):
        joins = select.args.get("joins") or []
        where = select.args.get("where")
        for join in joins:
            if join.args.get("on") or join.args.get("using"):
                continue
            other = join.this.alias_or_name.lower()
            linked = where is not None and any(
                isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column)
                and other in {eq.left.table.lower(), eq.right.table.lower()}
                for eq in where.find_all(exp.EQ))
            if not linked:
                yield Hint("cartesian_join", f"{join.this.sql()} is joined without a condition: "
                           "every row pairs with every row of the other side.",
                           "Add an ON condition (or a WHERE equality) that links the tables.")


def _stars(tree, aliases, facts: Facts):
    for select in tree.find_all(exp.Select):
        if not any(isinstance(e, exp.Star) or (isinstance(e, exp.Column)
                                                and isinstance(e.this, exp.Star))
                   for e in select.expressions):
            continue
        for table in select.find_all(exp.Table):
            width = facts.widths.get(table.name.lower(), 0)
            if width > WIDE:
                yield Hint("select_star", f"SELECT * reads all {width} columns of "
                           f"{table.name.lower()}.",
                           "Name the columns you need: less to read and to send.")


def _wrapped(tree, aliases, facts: Facts):
    for where in tree.find_all(exp.Where):
        for cmp in where.find_all(*_COMPARISONS):
            for side in cmp.args.values():
                if not isinstance(side, exp.Func) or isinstance(side, exp.Column):
                    continue
                for col in side.find_all(exp.Column):
                    table = _owner(col, aliases, facts)
                    if table and col.name.lower() in facts.indexed.get(table, frozenset()):
                        yield Hint("wrapped_column", f"{side.sql()} wraps {table}.{col.name}, "
                                   "which has an index: the index can't serve this filter.",
                                   f"Compare {col.name} itself (e.g. a range instead of a "
                                   "function of it), or index the expression.")
