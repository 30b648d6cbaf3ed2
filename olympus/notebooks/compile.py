"""Chaining: `SELECT ... FROM {{monthly_loans}}` reads an earlier cell's result. On one
connection the upstream cells (transitively, in dependency order) become CTEs of a single
statement, so the guard and the read-only session still see one SELECT. Across connections it
is refused unless the caller opts in to local DuckDB (olympus.notebooks.local). Parameter
markers (`{{start_date}}`) stay markers here; the runner binds them as driver parameters."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from olympus.errors import ConfigError, SQLSyntaxError
from olympus.notebooks.params import find_markers

if TYPE_CHECKING:
    from olympus.runner import QueryHandle, QueryResult
    from olympus.workspace import Workspace

RUNNABLE = ("sql", "question")  # a question cell keeps the SQL the agent wrote
_REF = "__olympus_ref_{}__"
_PARAM = "__olympus_param_{}__"
_PARAM_BACK = re.compile(r"[\"`\[]?__olympus_param_(\d+)__[\"`\]]?")


@dataclass(frozen=True)
class Compiled:
    """One runnable statement: `{{param}}` markers left for the driver to bind, the values in
    `params`, the connection it runs on and the cells it reads. local=True: `sql` is DuckDB SQL
    over `parts` (each an upstream cell's own Compiled, run on its own connection)."""

    sql: str
    params: Mapping[str, Any]
    connection: str | None
    upstream: tuple[str, ...]
    local: bool
    parts: tuple[tuple[str, "Compiled"], ...] = ()


def references(sql: str) -> set[str]:
    """The names a cell's SQL reads (`{{x}}` and `{{x.start}}` give x): cells or parameters."""
    return {m.root for m in find_markers(sql or "")}


def compile_cell(cells: Sequence[Any], index: int, values: Mapping[str, Any], *,
                 dialect_of: Callable[[str], str], local: bool = False) -> Compiled:
    """The statement that runs cell `index`, its upstream cells inlined as CTEs."""
    cell = _runnable(cells, index)
    order = _upstream(cells, index)
    params = _param_values(cells, [*order, index], values)
    chain = [cells[i] for i in order]
    names = tuple(c.name for c in chain)
    elsewhere = [c for c in chain if c.connection != cell.connection]
    if elsewhere and not local:
        other = elsewhere[0]
        raise ConfigError(
            f"Cell {cell.name!r} reads {other.name!r}, which runs on another connection "
            f"({other.connection!r}, not {cell.connection!r}).", title="Chained across connections",
            suggestion="Move both cells to one connection, or run with local chaining on: each "
                       "result is fetched on its own connection, then joined on local DuckDB.")
    if elsewhere:
        return _local(cells, index, values, dialect_of, names)
    dialect = dialect_of(cell.connection) if cell.connection else ""
    if not chain:
        return Compiled(cell.sql.strip(), params, cell.connection, (), False)
    sql, _ = _with_ctes(cells, order, index, dialect, dialect)
    return Compiled(sql, params, cell.connection, names, False)


def run_compiled(ws: "Workspace", compiled: Compiled, *, limit: int | None = None,
                 handle: "QueryHandle | None" = None, source: str = "notebook") -> "QueryResult":
    """Run it through the workspace's guarded path (or local DuckDB when compiled so)."""
    if compiled.local:
        from olympus.notebooks.local import run_local

        return run_local(ws, compiled, limit=limit, handle=handle, source=source)
    return ws.run_sql(compiled.connection, compiled.sql, limit=limit, handle=handle,
                      source=source, params=dict(compiled.params))


# ---- resolving names -----------------------------------------------------------------------------
def _runnable(cells: Sequence[Any], index: int) -> Any:
    if not 0 <= index < len(cells):
        raise ConfigError(f"There is no cell number {index + 1}.", title="No such cell")
    cell = cells[index]
    if cell.kind not in RUNNABLE:
        raise ConfigError(f"Cell {cell.name!r} is a {cell.kind} cell: it has no SQL to run.",
                          title="Nothing to run")
    if not (cell.sql or "").strip():
        raise ConfigError(f"Cell {cell.name!r} has no SQL yet.", title="Nothing to run",
                          suggestion="Write its SQL (or ask its question) first.")
    return cell


def _cell_refs(cells: Sequence[Any], index: int) -> list[int]:
    """Indexes of the cells that cell `index` reads directly, checked."""
    cell, at = cells[index], {c.name: i for i, c in enumerate(cells)}
    out: list[int] = []
    for marker in find_markers(cell.sql or ""):
        i = at.get(marker.root)
        if i is None:
            continue
        if marker.name != marker.root:
            raise ConfigError(f"Cell {cell.name!r}: {{{{{marker.name}}}}} - a cell is read "
                              f"whole, as {{{{{marker.root}}}}}.", title="Bad reference")
        if i == index:
            raise ConfigError(f"Cell {cell.name!r} reads itself ({{{{{cell.name}}}}}).",
                              title="Cycle between cells")
        if i > index:
            raise ConfigError(f"Cell {cell.name!r} reads {marker.root!r}, which comes after it.",
                              title="Reference to a later cell",
                              suggestion=f"Move {marker.root!r} above {cell.name!r}.")
        if cells[i].kind not in RUNNABLE:
            raise ConfigError(f"Cell {cell.name!r} reads {marker.root!r}, a {cells[i].kind} "
                              "cell, which has no result.", title="Not a SQL cell")
        if i not in out:
            out.append(i)
    return out


def _upstream(cells: Sequence[Any], index: int) -> list[int]:
    """Every cell `index` reads, transitively, each after the cells it reads itself. Cells only
    read earlier cells, so a cycle can't close; the stack check says so if one ever did."""
    order: list[int] = []

    def visit(i: int, stack: tuple[int, ...]) -> None:
        for j in _cell_refs(cells, i):
            if j in stack:
                path = " -> ".join(cells[k].name for k in (*stack, j))
                raise ConfigError(f"Cells read each other in a cycle: {path}.",
                                  title="Cycle between cells")
            _runnable(cells, j)
            visit(j, (*stack, j))
            if j not in order:
                order.append(j)

    visit(index, (index,))
    return order


def _param_values(cells: Sequence[Any], chain: list[int], values: Mapping[str, Any]) -> dict:
    """The values of the parameters these cells use; an unknown name says which cell has it."""
    names = {c.name for c in cells}
    out: dict[str, Any] = {}
    for i in chain:
        for marker in find_markers(cells[i].sql or ""):
            if marker.root in names:
                continue
            if marker.root not in values:
                known = sorted(set(values) | {c.name for c in cells[:i]})
                raise ConfigError(f"Cell {cells[i].name!r} uses {{{{{marker.name}}}}}, which "
                                  "is neither a parameter nor an earlier cell.",
                                  title="Unknown name",
                                  suggestion="Known names: " + (", ".join(known) or "none") + ".")
            out[marker.root] = values[marker.root]
    return out


# ---- building the statement ----------------------------------------------------------------------
def _with_ctes(cells: Sequence[Any], order: list[int], index: int, read: str, write: str,
               ready: Sequence[int] = ()) -> tuple[str, dict[str, str]]:
    """_build, remembered per cell texts: a notebook re-run compiles the same cells again."""
    key = (tuple((c.name, c.kind, c.connection, c.sql) for c in cells), tuple(order), index,
           read, write, tuple(ready))
    with _MEMO_LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
            return found[0], dict(found[1])
    built = _build(cells, order, index, read, write, ready)
    with _MEMO_LOCK:
        _MEMO[key] = built
        while len(_MEMO) > 256:
            _MEMO.popitem(last=False)
    return built[0], dict(built[1])


_MEMO: "OrderedDict[tuple, tuple[str, dict[str, str]]]" = OrderedDict()
_MEMO_LOCK = threading.Lock()


def _build(cells: Sequence[Any], order: list[int], index: int, read: str, write: str,
           ready: Sequence[int] = ()) -> tuple[str, dict[str, str]]:
    """One statement: each upstream cell a CTE (named after it, renamed on a clash), then the
    cell itself. `ready`: cells read as tables already there (local mode); their table names
    are returned with the SQL."""
    from sqlglot import exp

    slots: list[str] = []
    cell_names = {c.name for c in cells}
    trees = {i: _parse(cells[i], read, slots, cell_names) for i in (*order, index)}
    taken = _names_in(trees.values())
    names = {cells[i].name: _free(cells[i].name, taken) for i in (*ready, *order)}
    for tree in trees.values():
        _point_refs(tree, names)
    final = trees[index]
    ctes = [exp.CTE(this=trees[i],
                    alias=exp.TableAlias(this=exp.to_identifier(names[cells[i].name])))
            for i in order]
    if ctes:
        existing = final.args.get("with_")
        if existing is not None:
            existing.set("expressions", [*ctes, *existing.expressions])
        else:
            final.set("with_", exp.With(expressions=ctes))
    text = final.sql(dialect=write)
    text = _PARAM_BACK.sub(lambda m: "{{" + slots[int(m.group(1))] + "}}", text)
    return text, {cells[i].name: names[cells[i].name] for i in ready}


def _local(cells: Sequence[Any], index: int, values: Mapping[str, Any],
           dialect_of: Callable[[str], str], upstream: tuple[str, ...]) -> Compiled:
    """Local DuckDB: each cell this one reads directly is compiled (and later run) on its own
    connection; this cell's SQL, moved to DuckDB's dialect, reads their fetched results."""
    cell = cells[index]
    direct = _cell_refs(cells, index)
    read = dialect_of(cell.connection) if cell.connection else ""
    sql, tables = _with_ctes(cells, [], index, read, "duckdb", ready=direct)
    parts = tuple((tables[cells[j].name],
                   compile_cell(cells, j, values, dialect_of=dialect_of, local=True))
                  for j in direct)
    return Compiled(sql, _param_values(cells, [index], values), cell.connection, upstream, True,
                    parts)


def _parse(cell: Any, dialect: str, slots: list[str], cell_names: set[str]):
    """The cell's SQL as a tree: cell references as placeholder tables, parameters as
    placeholder columns (turned back into `{{name}}` after generation)."""
    import sqlglot
    from sqlglot import exp

    from olympus.guard import clean_sql

    text, out, last = cell.sql, [], 0
    for marker in find_markers(text):
        out.append(text[last:marker.start])
        if marker.root in cell_names:
            out.append(f" {_REF.format(marker.root)} ")
        else:
            slots.append(marker.name)
            out.append(f" {_PARAM.format(len(slots) - 1)} ")
        last = marker.end
    out.append(text[last:])
    try:
        trees = sqlglot.parse(clean_sql("".join(out), dialect), read=dialect or None)
    except Exception as exc:
        raise SQLSyntaxError(f"Cell {cell.name!r}: the SQL could not be read "
                             f"({str(exc).splitlines()[0][:200]}).", sql=cell.sql) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1 or not isinstance(trees[0], exp.Query):
        raise SQLSyntaxError(f"Cell {cell.name!r} must be one SELECT query to be chained.",
                             sql=cell.sql)
    return trees[0]


def _names_in(trees) -> set[str]:
    """Table and CTE names already in use (lower case): a cell's CTE must not shadow one."""
    from sqlglot import exp

    taken: set[str] = set()
    for tree in trees:
        taken |= {t.name.lower() for t in tree.find_all(exp.Table) if not _ref_name(t.name)}
        taken |= {c.alias.lower() for c in tree.find_all(exp.CTE)}
    return taken


def _free(name: str, taken: set[str]) -> str:
    """The cell's name, or name_2, name_3... when a table or CTE of that name is in the query."""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate.lower())
    return candidate


def _ref_name(text: str) -> str | None:
    found = re.fullmatch(r"__olympus_ref_(\w+?)__", text or "")
    return found.group(1) if found else None


def _point_refs(tree, names: Mapping[str, str]) -> None:
    """Placeholder tables -> the CTE (or local table) names; a renamed one keeps the cell's
    name as its alias, so `monthly_loans.month` still resolves. A cell used as a value: error."""
    from sqlglot import exp

    own = {t.name.lower() for t in tree.find_all(exp.Table) if not _ref_name(t.name)}
    for ident in list(tree.find_all(exp.Identifier)):
        cell = _ref_name(ident.name)
        if cell is None:
            continue
        table = ident.parent
        if not isinstance(table, exp.Table) or table.this is not ident:
            raise ConfigError(f"{{{{{cell}}}}} is a cell: read it as a table (FROM/JOIN "
                              f"{{{{{cell}}}}}), not as a value.", title="Cell used as a value")
        target = names[cell]
        table.set("this", exp.to_identifier(target))
        if target != cell and not table.alias and cell.lower() not in own:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(cell)))
