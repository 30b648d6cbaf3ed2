"""Constant statements on the store's raw DBAPI connection, for what every query does (read its
connection record, count it against the rate limits): SQLAlchemy's per-execute work cost up to
ten times the statement itself."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Mapping

import sqlalchemy as sa


class FastStatement:
    """One SELECT or text statement, compiled once per dialect. A SELECT's rows come back with
    SQLAlchemy's own type conversions (SQLite's text timestamps as datetimes), as named tuples."""

    def __init__(self, statement: sa.Select | sa.TextClause) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple | None, list | None, type | None]] = {}

    def rows(self, engine: sa.Engine, params: Mapping[str, Any]) -> list:
        """Read: the pool rolls back when the connection goes back."""
        raw = engine.raw_connection()
        try:
            return self._run(raw, engine.dialect, params)
        finally:
            raw.close()

    def write_rows(self, engine: sa.Engine, params: Mapping[str, Any]) -> list:
        """One write transaction (a statement with RETURNING); SQLite's write lock is taken up
        front (BEGIN IMMEDIATE), as olympus.store_db.write does."""
        raw = engine.raw_connection()
        try:
            rows = self._run(raw, engine.dialect, params,
                             begin="BEGIN IMMEDIATE" if engine.dialect.name == "sqlite" else None)
            raw.commit()
            return rows
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()

    def _run(self, raw, dialect, params: Mapping[str, Any], *, begin: str | None = None) -> list:
        sql, order, processors, row_type = self._compile(dialect)
        cursor = raw.cursor()
        try:
            if begin:
                cursor.execute(begin)
            cursor.execute(sql, [params[n] for n in order] if order is not None else dict(params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if row_type is None:
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
