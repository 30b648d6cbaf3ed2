"""Lineage: which tables and columns one SQL statement reads, from sqlglot's qualify + scopes.

CTEs and subqueries resolve to their base tables (each scope records the columns it reads from
real tables), aliases to their tables, `SELECT *` expands from the catalog when the table is
known (else `table.*`), unqualified columns resolve through the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from sqlglot import exp

    from olympus.catalog import Catalog

SHOWN = 8  # columns named in the one-line summary under a result


@dataclass(frozen=True)
class Lineage:
    """What a statement reads: qualified tables ("main.loans") and columns ("main.loans.principal",
    "main.x.*" when a star's table is unknown); with a catalog, what it lacks."""

    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    missing_tables: tuple[str, ...] = ()  # read, but not in the catalog
    unresolved: tuple[str, ...] = ()  # columns no read table has ("loans.amount", "amount")

    @property
    def reads(self) -> tuple[str, ...]:
        """What the query log stores: the columns, and tables read for no column (COUNT(*))."""
        covered = {c.rsplit(".", 1)[0] for c in self.columns}
        return self.columns + tuple(t for t in self.tables if t not in covered)

    def summary(self, limit: int = SHOWN) -> str:
        """'reads loans.principal, branches.region' (schema left out; the full names are stored)."""
        items = [_short(r) for r in self.reads]
        if not items:
            return ""
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return "reads " + ", ".join(items[:limit]) + more


def lineage(sql: str, *, dialect: str, catalog: "Catalog | None" = None) -> Lineage:
    """The tables and columns `sql` reads; names as the catalog spells them when it knows them.
    Raises sqlglot's ParseError on SQL it can't read (callers decide whether that matters)."""
    import sqlglot
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import traverse_scope

    tree = sqlglot.parse_one(sql, read=dialect or None)
    known, missing = _resolve_tables(tree, catalog)
    try:
        tree = qualify(tree, schema=_schema(known, dialect), dialect=dialect or None,
                       validate_qualify_columns=False, quote_identifiers=False)
    except Exception:  # an odd construct qualify can't handle: read what is written
        pass
    tables: dict[str, None] = {}
    columns: dict[str, None] = {}
    unresolved: dict[str, None] = {}
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if _is_table(source):
                tables[_name(source, known)] = None
        for column in scope.columns:
            _read_column(scope, column, known, catalog, columns, unresolved)
        for star_table in _stars(scope):
            columns[f"{_name(star_table, known)}.*"] = None
    return Lineage(tuple(tables), tuple(columns), tuple(missing), tuple(unresolved))


def reads_of(sql: str, *, dialect: str, catalog: "Catalog | None" = None) -> tuple[str, ...]:
    """Lineage(...).reads, or () when the SQL can't be read: lineage never fails a query."""
    try:
        return lineage(sql, dialect=dialect, catalog=catalog).reads
    except Exception:
        return ()


def uses(reads: Iterable[str], table: str, column: str | None = None) -> bool:
    """Whether stored reads touch a qualified table ("main.loans"), or one of its columns. A read
    recorded without a catalog ("loans.principal", schema unknown) matches by table name."""
    names = {table, table.rpartition(".")[2]}
    for item in reads:
        if column is None and any(item == t or item.startswith(t + ".") for t in names):
            return True
        if column is not None and any(item in (f"{t}.{column}", f"{t}.*") for t in names):
            return True
    return False


def _resolve_tables(tree: "exp.Expression", catalog: "Catalog | None") -> tuple[dict, list[str]]:
    """Point each real table at its catalog entry (schema added, catalog spelling); the ones the
    catalog lacks are missing. CTE names are not tables."""
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    known: dict[tuple[str, str], Any] = {}
    missing: dict[str, None] = {}
    for node in tree.find_all(exp.Table):
        if not node.name or (not node.db and node.name.lower() in ctes):
            continue
        if catalog is None:
            continue
        found = catalog.table(".".join(p for p in (node.db, node.name) if p))
        if found is None:
            missing[".".join(p for p in (node.db, node.name) if p)] = None
            continue
        node.set("this", exp.to_identifier(found.name))
        node.set("db", exp.to_identifier(found.schema) if found.schema else None)
        node.set("catalog", None)
        known[(found.schema.lower(), found.name.lower())] = found
    return known, list(missing)


def _schema(known: dict, dialect: str) -> Any:
    """A sqlglot schema of only the tables the statement reads (cheap on huge catalogs)."""
    if not known:
        return None
    from sqlglot.schema import MappingSchema

    mapping: dict[str, dict[str, dict[str, str]]] = {}
    for table in known.values():
        cols = {c.name: "UNKNOWN" for c in table.columns}
        mapping.setdefault(table.schema or "main", {})[table.name] = cols
    try:
        return MappingSchema(mapping, dialect=dialect or None)
    except Exception:
        return None


def _read_column(scope, column, known, catalog, columns: dict, unresolved: dict) -> None:
    """Record one column reference: a base-table column, or an unresolved one."""
    source = scope.sources.get(column.table) if column.table else None
    if source is None:
        if not column.table and len(scope.sources) == 0:
            return  # a SELECT without FROM: no table read
        if not column.table and not _is_alias(scope, column):
            unresolved[column.name] = None
        return
    if not _is_table(source):
        return  # a CTE or subquery: its own scope records the base columns
    table = known.get((source.db.lower(), source.name.lower()))
    if table is None:
        columns[f"{_name(source, known)}.{column.name}"] = None
        return
    real = _column_name(table, column.name)
    if real is None:
        unresolved[f"{table.qualified_name}.{column.name}"] = None
    else:
        columns[f"{table.qualified_name}.{real}"] = None


def _stars(scope) -> list:
    """Tables behind a star qualify could not expand (their columns are unknown)."""
    from sqlglot import exp

    select = scope.expression
    if not isinstance(select, exp.Select):
        return []
    out = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            out += [s for s in scope.selected_sources.values() if _is_table(s[1])]
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            source = scope.sources.get(projection.table)
            if _is_table(source):
                out.append((None, source))
    return [pair[1] for pair in out]


def _is_alias(scope, column) -> bool:
    """An output alias referenced in ORDER BY / HAVING is not a table column."""
    from sqlglot import exp

    select = scope.expression
    if not isinstance(select, exp.Select):
        return False
    node = column
    while node is not None and node.parent is not select:
        node = node.parent
    if node is not None and node.arg_key == "expressions":
        return False  # inside a projection: a real column reference
    name = column.name.lower()
    return any(isinstance(p, exp.Alias) and p.alias.lower() == name for p in select.expressions)


def _is_table(source: Any) -> bool:
    from sqlglot import exp

    return isinstance(source, exp.Table) and bool(source.name)


def _name(source: "exp.Table", known: dict) -> str:
    """The catalog's qualified name of a table source, else as written."""
    table = known.get((source.db.lower(), source.name.lower()))
    if table is not None:
        return table.qualified_name
    return ".".join(p for p in (source.db, source.name) if p)


def _column_name(table, name: str) -> str | None:
    """The catalog's spelling of a column (exact first, then any case); None when absent."""
    if table.column(name) is not None:
        return name
    lowered = name.lower()
    return next((c.name for c in table.columns if c.name.lower() == lowered), None)


def _short(read: str) -> str:
    """'main.loans.principal' -> 'loans.principal' for the one-line summary."""
    parts = read.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else read
