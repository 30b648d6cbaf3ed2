"""Schema snapshots: one bulk read per database, cached per owner + connection with a TTL.

The snapshot is a typed, immutable `Catalog` (its parts live in olympus.catalog_model); its
FEAT-001 JSON form is what `schema --json` prints and the store keeps.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from olympus.catalog_model import Column, ForeignKey, LazyTuple, Reference, Table
from olympus.connectors.base import Connector, Progress

__all__ = ["Catalog", "Column", "LazyTuple", "ForeignKey", "Reference", "Table", "CacheKey",
           "CatalogCache", "introspect", "find_table", "split_name", "catalog_of"]

DEFAULT_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Catalog:
    """One database's tables at one moment; indexes are built once, on first use."""

    tables: tuple[Table, ...] = ()
    introspected_at: str | None = None

    # ---- look-up ------------------------------------------------------------------------------
    def table(self, name: str, schema: str | None = None) -> Table | None:
        """`schema` + `name` exactly; or "schema.table" / a bare name, quoted or not, then any case."""
        if schema is not None:
            return self._by_pair.get((schema, name))
        text = str(name).strip()
        hit = self._by_key.get(text) or self._by_name.get(text)
        if hit is not None:
            return hit
        parts = split_name(text)
        hit = self._lookup(parts, self._by_pair, self._by_name)
        if hit is None:
            lowered = [p.lower() for p in parts]
            hit = self._lookup(lowered, self._by_pair_ci, self._by_name_ci)
        return hit

    @staticmethod
    def _lookup(parts: list[str], pairs: dict, names: dict) -> Table | None:
        if len(parts) >= 2:
            return pairs.get((parts[-2], parts[-1]))
        return names.get(parts[0]) if parts else None

    def index_of(self, table: Table) -> int:
        return self._position[(table.schema, table.name)]

    def search(self, text: str = "", *, schema: str | None = None,
               column: str = "") -> tuple[Table, ...]:
        """Tables whose name or description contains `text` and with a column name containing
        `column` (both case-insensitive), optionally in one schema; name matches first."""
        named, described = self.find(text, schema=schema, column=column)
        return named + described

    def find(self, text: str, *, schema: str | None = None, column: str = ""
             ) -> tuple[tuple[Table, ...], tuple[Table, ...]]:
        """(tables whose qualified name holds `text`, best first: the exact name, names starting
        with it, the rest, shorter first; tables only their description matches, catalog order):
        "loan" puts loans above a table that merely mentions loans (Schema page and CLI)."""
        needle, col = text.strip().lower(), column.strip().lower()
        ranked: list[tuple[int, int, int, Table]] = []
        described: list[Table] = []
        for i, (table, (words, cols)) in enumerate(zip(self.tables, self._haystacks)):
            if (schema is not None and table.schema != schema) or (col and col not in cols):
                continue
            name, full = table.name.lower(), table.qualified_name.lower()
            if not needle:  # no text: catalog order
                ranked.append((0, 0, i, table))
            elif needle in full:
                rank = 0 if needle in (name, full) else 1 if name.startswith(needle) else 2
                ranked.append((rank, len(name), i, table))
            elif needle in words:
                described.append(table)
        return tuple(t for *_, t in sorted(ranked, key=lambda r: r[:3])), tuple(described)

    # ---- foreign-key graph --------------------------------------------------------------------
    def references_out(self, table: Table) -> tuple[tuple[ForeignKey, Table | None], ...]:
        """This table's foreign keys with the tables they point at (None: not in the catalog)."""
        return tuple((fk, self._by_pair.get(fk.target(table.schema))) for fk in table.foreign_keys)

    def references_in(self, table: Table) -> tuple[tuple[Table, ForeignKey], ...]:
        """(table, foreign key) pairs of every table pointing at this one."""
        return tuple(self._incoming.get((table.schema, table.name), ()))

    def neighbours(self, table: Table) -> tuple[Table, ...]:
        """Tables linked to this one by a foreign key, either way, catalog order."""
        return tuple(self.tables[j] for j in self.adjacency[self.index_of(table)])

    @cached_property
    def adjacency(self) -> tuple[tuple[int, ...], ...]:
        """Foreign-key neighbours of every table by position, both directions."""
        adj: list[set[int]] = [set() for _ in self.tables]
        for i, table in enumerate(self.tables):
            for fk in table.foreign_keys:
                j = self._position.get(fk.target(table.schema))
                if j is not None and j != i:
                    adj[i].add(j)
                    adj[j].add(i)
        return tuple(tuple(sorted(a)) for a in adj)

    # ---- facts --------------------------------------------------------------------------------
    @property
    def schemas(self) -> list[str]:
        return sorted({t.schema for t in self.tables})

    @property
    def timestamp(self) -> float:
        """introspected_at as a POSIX time (0 when unknown): the cache's age."""
        try:
            return datetime.fromisoformat(str(self.introspected_at)).timestamp()
        except (TypeError, ValueError):
            return 0.0

    # ---- external format ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The FEAT-001 snapshot dict (`schema --json`, the store)."""
        return {"tables": [t.to_dict() for t in self.tables], "introspected_at": self.introspected_at}

    def to_json(self) -> bytes:
        """The FEAT-001 snapshot as compact JSON bytes (orjson)."""
        from olympus.catalog_json import dumps

        return dumps(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Catalog:
        """Read a FEAT-001 snapshot dict; a clear error when it is not one."""
        tables = d.get("tables") if isinstance(d, Mapping) else None
        if not isinstance(tables, list):
            raise ValueError("catalog snapshot has no 'tables' list; refresh the catalog and retry")
        return cls(tuple(Table.from_dict(t) for t in tables), d.get("introspected_at"))

    @classmethod
    def from_json(cls, blob: bytes | str) -> Catalog:
        from olympus.catalog_json import loads

        return loads(blob)

    # ---- indexes (built once per catalog) -----------------------------------------------------
    @cached_property
    def _by_pair(self) -> dict[tuple[str, str], Table]:
        return {(t.schema, t.name): t for t in self.tables}

    @cached_property
    def _position(self) -> dict[tuple[str, str], int]:
        return {(t.schema, t.name): i for i, t in enumerate(self.tables)}

    # built from reversed tables: the first table in catalog order wins a shared key
    @cached_property
    def _by_key(self) -> dict[str, Table]:
        return {t.qualified_name: t for t in reversed(self.tables)}

    @cached_property
    def _by_name(self) -> dict[str, Table]:
        return {t.name: t for t in reversed(self.tables)}

    @cached_property
    def _by_pair_ci(self) -> dict[tuple[str, str], Table]:
        return {(t.schema.lower(), t.name.lower()): t for t in reversed(self.tables)}

    @cached_property
    def _by_name_ci(self) -> dict[str, Table]:
        return {t.name.lower(): t for t in reversed(self.tables)}

    @cached_property
    def _incoming(self) -> dict[tuple[str, str], list[tuple[Table, ForeignKey]]]:
        out: dict[tuple[str, str], list[tuple[Table, ForeignKey]]] = {}
        for table in self.tables:
            for fk in table.foreign_keys:
                out.setdefault(fk.target(table.schema), []).append((table, fk))
        return out

    @cached_property
    def _haystacks(self) -> tuple[tuple[str, str], ...]:
        return tuple((f"{t.name}\n{t.description or ''}".lower(),
                      "\n".join(c.name for c in t.columns).lower()) for t in self.tables)


def split_name(text: str) -> list[str]:
    """'a.b', '"my.schema"."odd name"', `a`.`b` or [a].[b] -> its parts, quotes removed."""
    parts, buf, quote = [], [], None
    closing = {'"': '"', "`": "`", "[": "]"}
    for ch in text:
        if quote is not None:
            if ch == quote:
                quote = None
            else:
                buf.append(ch)
        elif ch in closing:
            quote = closing[ch]
        elif ch == ".":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return [p for p in parts if p]


def catalog_of(tables: Iterable[Table] | Catalog, introspected_at: str | None = None) -> Catalog:
    """A Catalog from a Catalog (as is) or any iterable of tables."""
    if isinstance(tables, Catalog):
        return tables
    return Catalog(tuple(tables), introspected_at)


def introspect(connector: Connector, *, include: Iterable[str] | None = None,
               exclude: Iterable[str] | None = None,
               progress: Progress | None = None) -> Catalog:
    """Read the catalog now (FEAT-001 as JSON through Catalog.to_dict / to_json)."""
    tables = connector.read_catalog(include=include, exclude=exclude, progress=progress)
    return Catalog(tuple(tables), datetime.now(timezone.utc).isoformat())


@dataclass(frozen=True)
class CacheKey:
    """Owner + connection id + parameter fingerprint: two owners or connections never collide."""

    owner: str
    connection_id: str
    fingerprint: str


class CatalogCache:
    """Thread-safe in-process TTL cache of Catalogs (immutable, so shared as is); a backing store
    (optional) survives restarts."""

    def __init__(self, *, ttl_s: float = DEFAULT_TTL_S, load: Callable | None = None,
                 save: Callable | None = None, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s, self._load, self._save, self._clock = ttl_s, load, save, clock
        self._entries: dict[CacheKey, Catalog] = {}
        self._missed: dict[CacheKey, float] = {}  # store misses: when
        self._lock = threading.Lock()

    def get(self, key: CacheKey, connector: Connector, *, refresh: bool = False,
            progress: Progress | None = None, **filters) -> Catalog:
        """Cached catalog if fresh, else introspect (and persist through `save`)."""
        if not refresh:
            hit = self.peek(key)
            if hit is not None:
                return hit
        catalog = introspect(connector, progress=progress, **filters)
        self.put(key, catalog)
        return catalog

    def peek(self, key: CacheKey, *, recheck_s: float = 0.0) -> Catalog | None:
        """Fresh entry from memory, then from the backing store; None when missing or stale.
        recheck_s: a store miss is believed that long (hot paths such as a query's lineage
        needn't read the store on every call for a catalog nobody has introspected)."""
        with self._lock:
            entry = self._entries.get(key)
            missed = self._missed.get(key)
        if entry is None and missed is not None and self._clock() - missed < recheck_s:
            return None
        if entry is None and self._load is not None:
            loaded = self._load(key)
            with self._lock:
                if loaded is None:
                    self._missed[key] = self._clock()
                else:
                    entry = self._entries[key] = as_catalog(loaded)
                    self._missed.pop(key, None)
        if entry is None or self._clock() - entry.timestamp > self.ttl_s:
            return None
        return entry

    def put(self, key: CacheKey, catalog: Catalog | Mapping[str, Any]) -> None:
        catalog = as_catalog(catalog)
        with self._lock:
            self._entries[key] = catalog
            self._missed.pop(key, None)
        if self._save is not None:
            self._save(key, catalog)

    def invalidate(self, *, owner: str | None = None, connection_id: str | None = None) -> None:
        """Drop entries of one connection (or one owner); used on edit and delete."""
        with self._lock:
            self._missed.clear()  # rare (an edit): every miss is read again
            for key in list(self._entries):
                if (owner is None or key.owner == owner) and (
                        connection_id is None or key.connection_id == connection_id):
                    del self._entries[key]


def as_catalog(snapshot: Catalog | Mapping[str, Any]) -> Catalog:
    """A Catalog as is; a FEAT-001 dict (older callers, hand-written snapshots) converted."""
    return snapshot if isinstance(snapshot, Catalog) else Catalog.from_dict(snapshot)


def find_table(catalog: Catalog | Mapping[str, Any], name: str) -> Table | None:
    """Look up "schema.table" or a bare table name (first match); see Catalog.table."""
    return as_catalog(catalog).table(name)
