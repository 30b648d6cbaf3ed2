"""Constant statements on the store's raw DBAPI connection, for what every query does (read its
connection record, count it against the rate limits): SQLAlchemy's per-execute work cost up to
ten times the statement itself."""

from __future__ import annotations

import threading
import time
import weakref
from collections import namedtuple
from itertools import chain
from operator import itemgetter
from typing import Any, Mapping

import sqlalchemy as sa

from olympus.store_lane import lane


class Turns:
    """This process's writers to one SQLite store (the journal's batches, every query's
    rate-limit count), one at a time. Colliding inside SQLite a writer sleeps 1, 2, 5.. ms between
    tries (its busy handler); here it gets in the moment the other transaction ends. `waiting`
    lets a long writer step aside between its transactions."""

    def __init__(self) -> None:
        self._lock, self._count = threading.Lock(), threading.Lock()
        self.waiting = 0

    def __enter__(self) -> "Turns":
        if not self._lock.acquire(blocking=False):
            with self._count:
                self.waiting += 1
            try:
                self._lock.acquire()
            finally:
                with self._count:
                    self.waiting -= 1
        return self

    def __exit__(self, *exc: Any) -> None:
        self._lock.release()

    def let_in(self, most_s: float) -> None:
        """Between a long writer's transactions: wait (at most most_s) while others wait."""
        deadline = time.monotonic() + most_s
        while self.waiting and time.monotonic() < deadline:
            time.sleep(0.0001)


class _Free(Turns):
    """A server database (PostgreSQL) has row locks: its writers need no turns here."""

    def __enter__(self) -> "Turns":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


_TURNS: "weakref.WeakKeyDictionary[sa.Engine, Turns]" = weakref.WeakKeyDictionary()
_TURNS_LOCK = threading.Lock()
_FREE = _Free()


def write_lock(engine: sa.Engine) -> Turns:
    """The store's Turns (SQLite), or none needed."""
    if engine.dialect.name != "sqlite":
        return _FREE
    turns = _TURNS.get(engine)
    if turns is None:
        with _TURNS_LOCK:
            turns = _TURNS.setdefault(engine, Turns())
    return turns


class FastStatement:
    """One SELECT or text statement, compiled once per dialect. A SELECT's rows come back with
    SQLAlchemy's own type conversions (SQLite's text timestamps as datetimes), as named tuples."""

    def __init__(self, statement: sa.Select | sa.TextClause) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple | None, list | None, type | None]] = {}

    def rows(self, engine: sa.Engine, params: Mapping[str, Any], *, raw: bool = False) -> list:
        """Read (on SQLite through the store's lane). raw=True: the driver's own tuples
        (hashable; `shape` converts one later, e.g. only on a memo miss)."""
        kept = lane(engine)
        if kept is None:
            conn = engine.raw_connection()
            try:
                return self._run(conn, engine.dialect, params, raw_rows=raw)
            finally:
                conn.close()  # the pool rolls it back
        conn, generation = kept.take(engine)
        clean = False
        try:
            rows = self._run(conn, engine.dialect, params, raw_rows=raw)
            clean = True
            return rows
        finally:
            kept.give(conn, generation, clean=clean)

    def shape(self, dialect, row: tuple) -> Any:
        """One raw row as rows() returns it: converted, as a named tuple."""
        _, _, processors, row_type = self._compile(dialect)
        return row_type(*(p(v) if p is not None else v for p, v in zip(processors, row)))

    def write_rows(self, engine: sa.Engine, params: Mapping[str, Any]) -> list:
        """One write transaction (a statement with RETURNING). On SQLite (autocommit) the
        statement is its own transaction, and a writing statement takes the write lock as it
        starts, waiting on busy_timeout: what BEGIN IMMEDIATE does for a longer transaction."""
        kept = lane(engine)
        raw, generation = kept.take(engine) if kept is not None else (engine.raw_connection(), 0)
        clean = False
        try:
            with write_lock(engine):
                rows = self._run(raw, engine.dialect, params)
                raw.commit()
            clean = True
            return rows
        except BaseException:
            raw.rollback()
            raise
        finally:
            if kept is not None:
                kept.give(raw, generation, clean=clean)
            else:
                raw.close()

    def _run(self, raw, dialect, params: Mapping[str, Any], *, raw_rows: bool = False) -> list:
        sql, order, processors, row_type = self._compile(dialect)
        cursor = raw.cursor()
        try:
            cursor.execute(sql, [params[n] for n in order] if order is not None else dict(params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if row_type is None or raw_rows:
            return fetched
        return [row_type(*(p(v) if p is not None else v for p, v in zip(processors, row)))
                for row in fetched]

    def _compile(self, dialect) -> tuple[str, tuple | None, list | None, type | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            columns = list(getattr(self.statement, "selected_columns", ()))
            processors = [c.type._cached_result_processor(dialect, None) for c in columns]
            row_type = namedtuple("Row", [c.name for c in columns]) if columns else None
            found = self._compiled[dialect.name] = (str(compiled), order, processors, row_type)
        return found


class FastInsert:
    """One table's INSERT on the transaction's own DBAPI connection, compiled once per dialect
    and column set: the journal writes thousands of rows a minute, and SQLAlchemy's per-row
    parameter work cost more than SQLite's insert. Positional drivers (SQLite) get multi-row
    VALUES: executemany steps once per row, its thread taking the interpreter lock back between
    rows, which kept a query's thread waiting for the whole batch."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self._compiled: dict[tuple, tuple[str, list, bool]] = {}

    def execute(self, conn: sa.Connection, rows: list[Mapping[str, Any]]) -> None:
        """Insert `rows` (dicts; one executemany per set of keys) in `conn`'s transaction."""
        groups: dict[tuple[str, ...], list] = {}
        for row in rows:
            groups.setdefault(tuple(sorted(row)), []).append(row)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            for keys, group in groups.items():
                sql, binds, positional = self._compile(conn.dialect, keys)
                if positional:
                    _many_rows(cursor, sql, _values(binds, group))
                else:
                    cursor.executemany(sql, [{n: p(r[k]) if p else r[k] for k, n, p in binds}
                                             for r in group])
        finally:
            cursor.close()

    def _compile(self, dialect, keys: tuple[str, ...]) -> tuple[str, list, bool]:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            compiled = self.table.insert().inline().compile(dialect=dialect,
                                                             column_keys=list(keys))
            escaped = getattr(compiled, "escaped_bind_names", None) or {}
            names = list(compiled.positiontup) if compiled.positional else \
                [n for n in compiled.binds if n in keys]
            binds = [(n, escaped.get(n, n),
                      self.table.c[n].type._cached_bind_processor(dialect)) for n in names]
            found = self._compiled[(dialect.name, keys)] = (str(compiled), binds,
                                                            bool(compiled.positional))
        return found


MAX_VARIABLES = 999  # bound values per statement (SQLite's lowest build-time limit)


def _values(binds: list, rows: list[Mapping[str, Any]]) -> list[list]:
    """Each row's values in bind order (one C lookup per row), converted where the column's
    type says (SQLite's datetimes as text): the journal thread's Python holds the interpreter
    lock, which a query's thread then waits for."""
    get = itemgetter(*[key for key, _, _ in binds])
    convert = [(i, p) for i, (_, _, p) in enumerate(binds) if p is not None]
    out = []
    for row in rows:
        values = list(get(row)) if len(binds) > 1 else [get(row)]
        for i, p in convert:
            values[i] = p(values[i])
        out.append(values)
    return out


def _many_rows(cursor, sql: str, values: list[list]) -> None:
    """`INSERT .. VALUES (?, ..)` for many rows: one statement per MAX_VARIABLES values."""
    head, group = sql.rsplit(" VALUES ", 1)
    per = max(1, MAX_VARIABLES // max(1, len(values[0])))
    for start in range(0, len(values), per):
        chunk = values[start:start + per]
        cursor.execute(f"{head} VALUES {', '.join([group] * len(chunk))}",
                       list(chain.from_iterable(chunk)))
