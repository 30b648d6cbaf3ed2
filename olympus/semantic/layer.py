"""Descriptions written in Olympus, layered over the database's own comments (store only).

The agent, retrieval and the Schema page all see one catalog: `with_descriptions(catalog, ...)`
puts each stored description in place of the comment it overrides, so nothing downstream needs
to know where a description came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from olympus.catalog import Catalog, Table
from olympus.errors import ConfigError
from olympus.semantic.layer_tables import descriptions as _table
from olympus.store_db import now

MAX_TEXT = 4000  # characters of one description: a paragraph, not a document


@dataclass(frozen=True)
class Description:
    """One table's (column '') or column's description for one connection."""

    table: str  # "schema.table", as the catalog names it
    column: str = ""
    text: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ImportReport:
    """What an import (YAML or dbt) changed, and what it could not place in the catalog."""

    tables: int = 0  # table descriptions written
    columns: int = 0  # column descriptions written
    terms: int = 0  # glossary terms written
    unmatched_tables: tuple[str, ...] = ()
    unmatched_columns: tuple[str, ...] = ()
    matched: tuple[str, ...] = field(default=())  # catalog tables that received something

    def summary(self) -> str:
        """One line for the CLI and the UI."""
        text = f"{self.tables} table and {self.columns} column descriptions"
        if self.terms:
            text += f", {self.terms} glossary terms"
        missed = len(self.unmatched_tables) + len(self.unmatched_columns)
        return text + (f"; {missed} not found in the catalog" if missed else "") + "."


def clean_text(text: object, what: str) -> str:
    """A description as stored: trimmed, within MAX_TEXT; a clear error otherwise."""
    value = "" if text is None else str(text).strip()
    if len(value) > MAX_TEXT:
        raise ConfigError(f"The description of {what} is {len(value):,} characters long; "
                          f"the limit is {MAX_TEXT:,}.", title="Description too long",
                          suggestion="Shorten it to a paragraph.", fields=("text",))
    return value


def load(engine: sa.Engine, connection_id: str) -> list[Description]:
    """Every stored description of one connection, by table then column."""
    query = sa.select(_table).where(_table.c.connection_id == connection_id).order_by(
        _table.c.table_name, _table.c.column_name)
    with engine.connect() as conn:
        return [Description(r.table_name, r.column_name or "", r.text, r.updated_by, r.updated_at)
                for r in conn.execute(query)]


def save(engine: sa.Engine, connection_id: str, items: Iterable[Description], *, user: str) -> int:
    """Write descriptions in one transaction (empty text removes one); returns how many changed."""
    count, stamp = 0, now()
    with engine.begin() as conn:
        for item in items:
            key = ((_table.c.connection_id == connection_id) & (_table.c.table_name == item.table)
                   & (_table.c.column_name == item.column))
            conn.execute(_table.delete().where(key))
            if item.text:
                conn.execute(_table.insert().values(
                    connection_id=connection_id, table_name=item.table, column_name=item.column,
                    text=item.text, updated_by=user, updated_at=stamp))
            count += 1
    return count


def forget(engine: sa.Engine, connection_id: str) -> None:
    """Remove a deleted connection's descriptions."""
    with engine.begin() as conn:
        conn.execute(_table.delete().where(_table.c.connection_id == connection_id))


def stamp(items: Sequence[Description]) -> str:
    """A short fingerprint of a connection's descriptions: indexes built on older ones are stale."""
    import hashlib

    digest = hashlib.sha256()
    for d in items:
        digest.update(f"{d.table}\x00{d.column}\x00{d.text}\x01".encode())
    return digest.hexdigest()[:16]


def with_descriptions(catalog: Catalog, overrides: Iterable[Description]) -> Catalog:
    """The catalog with stored descriptions in place of the database's comments (unknown names ignored)."""
    by_table: dict[str, dict[str, str]] = {}
    for d in overrides:
        if d.text:
            by_table.setdefault(d.table, {})[d.column] = d.text
    if not by_table:
        return catalog
    tables = tuple(_overlay(t, by_table[t.qualified_name]) if t.qualified_name in by_table else t
                   for t in catalog.tables)
    return Catalog(tables, catalog.introspected_at)


def _overlay(table: Table, texts: dict[str, str]) -> Table:
    """One table with its own and its columns' descriptions replaced."""
    columns = tuple(replace(c, description=texts[c.name]) if c.name in texts else c
                    for c in table.columns)
    return replace(table, description=texts.get("", table.description), columns=columns)


def find_table(catalog: Catalog, name: str, schema: str | None = None) -> Table | None:
    """A catalog table by name, schema-aware and case-insensitive; None when absent or ambiguous."""
    lowered = name.lower()
    same = [t for t in catalog.tables if t.name.lower() == lowered]
    if schema:
        exact = [t for t in same if t.schema.lower() == schema.lower()]
        if exact:
            return exact[0] if len(exact) == 1 else None
    return same[0] if len(same) == 1 else None


def find_column(table: Table, name: str) -> str | None:
    """A column's catalog spelling, case-insensitively."""
    lowered = name.lower()
    return next((c.name for c in table.columns if c.name.lower() == lowered), None)


@dataclass(frozen=True)
class Incoming:
    """A description from outside (YAML, dbt), named as its source names it."""

    schema: str | None
    table: str
    column: str
    text: str


def place(catalog: Catalog, items: Iterable[Incoming]) -> tuple[list[Description], ImportReport]:
    """Match incoming descriptions to catalog tables and columns; report what found no place."""
    placed: list[Description] = []
    missing_tables: dict[str, None] = {}
    missing_columns: dict[str, None] = {}
    matched: dict[str, None] = {}
    tables = columns = 0
    for item in items:
        label = f"{item.schema}.{item.table}" if item.schema else item.table
        table = find_table(catalog, item.table, item.schema)
        if table is None:
            missing_tables[label] = None
            continue
        column = find_column(table, item.column) if item.column else ""
        if column is None:
            missing_columns[f"{label}.{item.column}"] = None
            continue
        text = clean_text(item.text, f"{table.qualified_name}.{column}" if column else table.qualified_name)
        if not text:
            continue
        placed.append(Description(table.qualified_name, column, text))
        matched[table.qualified_name] = None
        tables, columns = tables + (not column), columns + bool(column)
    report = ImportReport(tables, columns, 0, tuple(missing_tables), tuple(missing_columns), tuple(matched))
    return placed, report
