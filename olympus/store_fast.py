"""Constant statements on the store's raw DBAPI connection, for what every query does (read its
connection record, count it against the rate limits): SQLAlchemy's per-execute work cost up to
ten times the statement itself."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Mapping

import sqlalchemy as sa


class FastSelect:
    """Compiled once per dialect; rows come back with SQLAlchemy's own type conversions
    (SQLite's text timestamps as datetimes), as named tuples."""

    def __init__(self, statement: sa.Select) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple | None, list, type]] = {}

    def rows(self, engine: sa.Engine, params: Mapping[str, Any]) -> list:
        sql, order, processors, row_type = self._compile(engine.dialect)
        args = [params[name] for name in order] if order is not None else dict(params)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(sql, args)
                fetched = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            raw.close()  # back to the pool, which rolls back
        return [row_type(*(p(v) if p is not None else v for p, v in zip(processors, row)))
                for row in fetched]

    def _compile(self, dialect) -> tuple[str, tuple | None, list, type]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            columns = list(self.statement.selected_columns)
            processors = [c.type._cached_result_processor(dialect, None) for c in columns]
            order = tuple(compiled.positiontup) if compiled.positional else None
            row_type = namedtuple("Row", [c.name for c in columns])
            found = self._compiled[dialect.name] = (str(compiled), order, processors, row_type)
        return found


def write_rows(engine: sa.Engine, statement: sa.TextClause, params: Mapping[str, Any]) -> list:
    """One write transaction for one statement with RETURNING; SQLite's write lock is taken up
    front (BEGIN IMMEDIATE), as olympus.store_db.write does."""
    compiled = _compiled_text(statement, engine.dialect)
    sql, order = compiled
    args = [params[name] for name in order] if order is not None else dict(params)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        raw.commit()
        return rows
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()


_TEXTS: dict[tuple[int, str], tuple[str, tuple | None]] = {}


def _compiled_text(statement: sa.TextClause, dialect) -> tuple[str, tuple | None]:
    key = (id(statement), dialect.name)  # statements are module constants (lru-cached)
    found = _TEXTS.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup) if compiled.positional else None
        found = _TEXTS[key] = (str(compiled), order)
    return found
