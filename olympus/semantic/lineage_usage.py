"""Impact before a change: what reads a table or column (verified queries, saved notebooks,
recent queries), from stored lineage and from the notebooks' SQL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from olympus.semantic.lineage import reads_of, uses

if TYPE_CHECKING:
    from olympus.semantic.verified import VerifiedQuery
    from olympus.store import QueryLogEntry

RECENT_SCAN = 500  # newest query-log lines of the connection looked at
RECENT_SHOWN = 20
_PLACEHOLDER = re.compile(r"\{\{\s*[^{}]*?\s*\}\}")


@dataclass(frozen=True)
class NotebookUse:
    notebook: str  # its name
    cell: str  # the cell's name


@dataclass(frozen=True)
class UsedBy:
    """Everything found reading the table/column, newest first within each kind."""

    verified: tuple["VerifiedQuery", ...] = ()
    notebooks: tuple[NotebookUse, ...] = ()
    recent: tuple["QueryLogEntry", ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.verified or self.notebooks or self.recent)


def used_by(ws: Any, record: Any, table: str, column: str | None = None) -> UsedBy:
    """`table` is the catalog's qualified name ("main.loans")."""
    verified = tuple(q for q in ws.verified_queries(record.id)
                     if uses(q.reads + q.tables, table, column))
    dialect = ws.connector_class(record.id).dialect
    catalog = ws._cached_catalog(record)
    notebooks = tuple(u for u, sql in notebook_sql(ws.store, ws.owner, record)
                      if uses(reads_of(sql, dialect=dialect, catalog=catalog), table, column))
    return UsedBy(verified, notebooks, recent_queries(ws.store, ws.owner, record.id, table, column))


def notebook_sql(store: Any, space: str, record: Any) -> list[tuple[NotebookUse, str]]:
    """(notebook, cell) and SQL of every SQL cell on this connection in the space's notebooks;
    `{{name}}` placeholders read as NULL. Empty when the notebooks feature has no table yet."""
    table = _notebooks_table()
    if table is None:
        return []
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.name, table.c.doc_json)
                            .where(table.c.space == space)).all()
    out = []
    for name, doc_json in rows:
        try:
            cells = json.loads(doc_json).get("cells") or []
        except (ValueError, AttributeError):
            continue
        for cell in cells:
            if (isinstance(cell, dict) and cell.get("kind") == "sql" and cell.get("sql")
                    and cell.get("connection") in (record.name, record.id)):
                sql = _PLACEHOLDER.sub("NULL", str(cell["sql"]))
                out.append((NotebookUse(str(name), str(cell.get("name") or cell.get("id"))), sql))
    return out


def recent_queries(store: Any, space: str, connection_id: str, table: str,
                   column: str | None) -> tuple["QueryLogEntry", ...]:
    """The newest query-log lines of the connection whose recorded lineage touches it."""
    from olympus.store import QueryLogEntry
    from olympus.store_db import query_log

    query = (sa.select(query_log).where(query_log.c.owner == space,
                                        query_log.c.connection_id == connection_id,
                                        query_log.c.reads_json.is_not(None))
             .order_by(query_log.c.created_at.desc(), query_log.c.id.desc()).limit(RECENT_SCAN))
    store.flush()  # the query log is written behind the queries
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        try:
            reads = json.loads(row.reads_json)
        except ValueError:
            continue
        if isinstance(reads, list) and uses(map(str, reads), table, column):
            found.append(QueryLogEntry(**row._asdict()))
            if len(found) >= RECENT_SHOWN:
                break
    return tuple(found)


def _notebooks_table() -> sa.Table | None:
    """The notebooks feature's table (olympus.notebooks.notebook_tables), when it exists.
    HOOK: if that feature stores its documents elsewhere, read them here."""
    try:
        from olympus.notebooks.notebook_tables import notebooks
    except ImportError:
        return None
    return notebooks
