"""The catalog's parts: Table, Column, ForeignKey, as frozen data (the Catalog is in olympus.catalog).

The FEAT-001 JSON shape ({"tables": [...], "introspected_at": ...}) stays the external format.
Field names and order below ARE that shape, so orjson serialises these dataclasses natively.
Nothing here imports a connector: the connectors' catalog readers build these directly.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

PREVIEW_ROWS = 50


@contextmanager
def paused_gc() -> Iterator[None]:
    """Catalog rows and snapshots are acyclic, yet their ~10 containers per column set off repeated
    full collections over every live row: 70% of the assembly time at 100k columns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = ""
    nullable: bool = True
    description: str | None = None
    default: Any = None


@dataclass(frozen=True, slots=True)
class Reference:
    """The table (and columns) a foreign key points at; schema None means the referrer's."""

    schema: str | None
    table: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: Reference

    def target(self, schema: str) -> tuple[str, str]:
        """(schema, table) of the referenced table, resolved against the referrer's schema."""
        return self.references.schema or schema, self.references.table


class LazyTuple(Sequence):
    """An immutable sequence decoded on first use (a table's columns or foreign keys): 10^5 small
    objects are most of a stored catalog's load cost, and a page or a question needs few of them."""

    __slots__ = ("_items", "_raw", "_decode", "_count")

    def __init__(self, raw: Any, decode: Callable[[Any], tuple],
                 count: Callable[[Any], int] | None = None) -> None:
        self._items: tuple | None = None
        self._raw, self._decode, self._count = raw, decode, count

    def _get(self) -> tuple:
        raw = self._raw  # read before _items: a concurrent decode sets _items, then clears _raw
        items = self._items
        if items is None:
            items = self._decode(raw)
            self._items = items
            self._raw = None
        return items

    def __getitem__(self, i):
        return self._get()[i]

    def __len__(self) -> int:
        raw = self._raw  # same order as _get: raw first
        if self._items is None and self._count is not None:
            return self._count(raw)  # counted without decoding (a page's "N columns")
        return len(self._get())

    def __iter__(self) -> Iterator:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (LazyTuple, tuple, list)):
            return self._get() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self):
        return tuple, (self._get(),)

    def raw(self) -> Any:
        """The undecoded payload (None once decoded): lets a writer copy stored JSON as is."""
        return self._raw


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    kind: str = "table"
    description: str | None = None
    columns: Sequence[Column] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: Sequence[ForeignKey] = ()
    row_count_estimate: int | None = None

    @property
    def qualified_name(self) -> str:
        """'schema.table' unquoted: the key the UI, the agent and the CLI show and accept."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def sql_name(self, dialect: str) -> str:
        """The table as SQL in a sqlglot dialect, every part quoted (odd names stay safe)."""
        from sqlglot import exp

        return exp.table_(self.name, db=self.schema or None, quoted=True).sql(dialect=dialect)

    def preview_sql(self, dialect: str, limit: int = PREVIEW_ROWS) -> str:
        """SELECT * ... LIMIT n in a sqlglot dialect: the one preview/sample query."""
        from sqlglot import exp

        table = exp.table_(self.name, db=self.schema or None, quoted=True)
        return exp.select("*").from_(table).limit(int(limit)).sql(dialect=dialect)

    def fk_targets(self) -> dict[str, tuple[str, str, str]]:
        """Column -> (schema, table, column) it references, for the UI and prompts."""
        out: dict[str, tuple[str, str, str]] = {}
        for fk in self.foreign_keys:
            schema, table = fk.target(self.schema)
            for col, ref_col in zip(fk.columns, fk.references.columns):
                out[col] = (schema, table, ref_col)
        return out

    def to_dict(self) -> dict[str, Any]:
        """FEAT-001 table object (keys and order as stored)."""
        return {"schema": self.schema, "name": self.name, "kind": self.kind,
                "description": self.description,
                "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable,
                             "description": c.description, "default": c.default}
                            for c in self.columns],
                "primary_key": list(self.primary_key),
                "foreign_keys": [{"columns": list(fk.columns), "references": {
                    "schema": fk.references.schema, "table": fk.references.table,
                    "columns": list(fk.references.columns)}} for fk in self.foreign_keys],
                "row_count_estimate": self.row_count_estimate}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Table:
        """A FEAT-001 table object; missing keys take their defaults."""
        return cls(str(d.get("schema") or ""), str(d["name"]), d.get("kind") or "table",
                   d.get("description") or None,
                   tuple(column_from_dict(c) for c in d.get("columns") or ()),
                   tuple(d.get("primary_key") or ()),
                   tuple(fk_from_dict(f) for f in d.get("foreign_keys") or ()),
                   _rows(d.get("row_count_estimate")))


def column_from_dict(d: Mapping[str, Any]) -> Column:
    return Column(str(d["name"]), str(d.get("type") or ""), bool(d.get("nullable", True)),
                  d.get("description") or None, d.get("default"))


def fk_from_dict(d: Mapping[str, Any]) -> ForeignKey:
    ref = d.get("references") or {}
    return ForeignKey(tuple(d.get("columns") or ()), Reference(
        ref.get("schema") or None, str(ref.get("table") or ""), tuple(ref.get("columns") or ())))


def _rows(value: Any) -> int | None:
    return None if value is None or value < 0 else int(value)
