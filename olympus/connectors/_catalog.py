"""Assemble bulk catalog rows into typed tables, so every reader stays a few queries."""

from __future__ import annotations

from typing import Hashable, Iterable

from olympus.catalog_model import Column, ForeignKey, LazyTuple, Reference, Table, paused_gc

__all__ = ["assemble", "paused_gc"]


def assemble(tables: Iterable[tuple], columns: Iterable[tuple],
             keys: Iterable[tuple] = ()) -> tuple[Table, ...]:
    """tables: (key, schema, name, kind, description, rows); columns: (key, name, type, nullable,
    description, default); keys: (key, 'p'|'f', cols, ref_schema, ref_table, ref_cols).
    Tables come back sorted by (schema, name); each keeps its column rows and builds its Column
    objects on first use (LazyTuple), the cheapest way through 100k columns."""
    with paused_gc():
        return _assemble(tables, columns, keys)


def _assemble(tables: Iterable[tuple], columns: Iterable[tuple],
              keys: Iterable[tuple]) -> tuple[Table, ...]:
    by_key: dict[Hashable, list] = {}  # [schema, name, kind, description, rows, cols, pk, fks]
    for key, schema, name, kind, description, rows in tables:
        by_key[key] = [schema, name, kind, description or None, rows, [], (), []]
    for row in columns:
        entry = by_key.get(row[0])
        if entry is not None:
            entry[5].append(row)
    for key, kind, cols, ref_schema, ref_table, ref_cols in keys:
        entry = by_key.get(key)
        if entry is None:
            continue
        if kind == "p":
            entry[6] = tuple(cols)
        else:
            entry[7].append(ForeignKey(tuple(cols), Reference(ref_schema, ref_table,
                                                              tuple(ref_cols or ()))))
    out = [Table(schema, name, kind, description,
                 LazyTuple(cols, _columns_from_rows, len) if cols else (), pk, tuple(fks),
                 None if rows is None or rows < 0 else int(rows))
           for schema, name, kind, description, rows, cols, pk, fks in by_key.values()]
    out.sort(key=lambda t: (t.schema, t.name))
    return tuple(out)


def _columns_from_rows(rows: list[tuple]) -> tuple[Column, ...]:
    """(key, name, type, nullable, description, default) rows -> LazyTuple, in row order."""
    return tuple([Column(r[1], str(r[2]), bool(r[3]), r[4] or None, r[5]) for r in rows])
