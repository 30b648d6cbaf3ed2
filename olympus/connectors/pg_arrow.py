"""PostgreSQL results as Arrow through ADBC (binary COPY): the fast path for big results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from olympus.connectors.arrow import collect
from olympus.connectors.base import Fetched

if TYPE_CHECKING:
    import pyarrow as pa


PING_SQL = "SELECT 1 FROM (SELECT pg_advisory_unlock_all()) AS unlocked"
UNLOCK_SQL = "SELECT pg_advisory_unlock_all()"


class _PingDialect:
    """Lets SQLAlchemy's QueuePool pre-ping and roll back plain ADBC connections."""

    def do_rollback(self, dbapi_connection) -> None:
        dbapi_connection.rollback()

    def do_commit(self, dbapi_connection) -> None:  # never used: sessions are read-only
        dbapi_connection.rollback()

    def do_close(self, dbapi_connection) -> None:
        dbapi_connection.close()

    def do_ping(self, dbapi_connection) -> bool:
        """The checkout ping also frees session advisory locks a previous query could have left
        (depth behind the guard, at no extra round trip)."""
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(PING_SQL)
            cursor.fetchall()
        finally:
            cursor.close()
        dbapi_connection.rollback()
        return True

    def _do_ping_w_event(self, dbapi_connection) -> bool:
        return self.do_ping(dbapi_connection)

    def get_driver_connection(self, connection):
        return connection

    is_async = False
    has_terminate = False


def make_pool(connector) -> Any:
    """A pool of ADBC connections for one connector instance (it keeps and disposes it)."""
    import adbc_driver_postgresql.dbapi as pgdb
    from sqlalchemy.pool import QueuePool

    uri = connector.libpq_uri()
    return QueuePool(lambda: pgdb.connect(uri), pool_size=connector.pool_size,
                     max_overflow=connector.max_overflow, pre_ping=True,
                     dialect=_PingDialect(), timeout=connector.connect_timeout * 6)


# ADBC turns binary numerics into decimal text at ~0.5 us a value (half of a 1M-row, 5-column
# read); PostgreSQL's own numeric_out is several times cheaper. So a big read first describes the
# query (one round trip, no execution) and fetches any numeric columns as text. Small reads skip
# it: on a remote database that round trip would cost more than it saves.
NUMERIC_AS_TEXT_MIN_ROWS = 50_000


def run(cursor, sql: str, *, limit: int | None, max_bytes: int | None = None) -> Fetched:
    """Inside a read-only session: stream Arrow batches until limit + 1 rows."""
    described = None
    if limit is None or limit >= NUMERIC_AS_TEXT_MIN_ROWS:
        described = _numeric_schema(cursor, sql)
    if limit is not None:  # small batches so a limited read stops early
        cursor.adbc_statement.set_options(
            **{"adbc.postgresql.batch_size_hint_bytes": str(1 << 20)})
    # ADBC wraps it in COPY (...) TO STDOUT: one statement only
    cursor.execute(sql if described is None else _numeric_as_text(sql, described))
    table, cut = _read(cursor, limit, max_bytes)
    if described is not None:
        table = _restore(table, described)
    return Fetched(normalize(table), cut is not None, _pg_types(table), cut)


def _is_numeric(field) -> bool:
    import pyarrow as pa

    return isinstance(field.type, pa.BaseExtensionType) and \
        (field.metadata or {}).get(b"POSTGRESQL:type") == b"numeric"


def _numeric_schema(cursor, sql: str) -> "pa.Schema | None":
    """The result schema (prepared, not executed) when it has a numeric column, else None."""
    schema = cursor.adbc_execute_schema(sql)
    return schema if any(_is_numeric(f) for f in schema) else None


def _numeric_as_text(sql: str, schema: "pa.Schema") -> str:
    """The same rows with numeric columns cast to text; positional aliases survive odd or
    duplicate names, and the newline keeps a trailing comment from eating the parenthesis."""
    names = [f'"c{i}"' for i in range(len(schema))]
    cols = ", ".join(f"q.{n}::text" if _is_numeric(f) else f"q.{n}"
                     for n, f in zip(names, schema))
    return f"SELECT {cols} FROM (\n{sql}\n) AS q({', '.join(names)})"


def _restore(table: "pa.Table", schema: "pa.Schema") -> "pa.Table":
    """Back to the described names, types and metadata: numeric text as ADBC's own numeric type."""
    import pyarrow as pa

    arrays = [pa.chunked_array([pa.ExtensionArray.from_storage(f.type, c) for c in col.chunks],
                               f.type) if _is_numeric(f) else col
              for f, col in zip(schema, table.columns)]
    return pa.Table.from_arrays(arrays, schema=schema)


def _read(cursor, limit: int | None, max_bytes: int | None) -> tuple["pa.Table", str | None]:
    import pyarrow as pa

    if limit is None and max_bytes is None:
        return cursor.fetch_arrow_table(), None
    reader = cursor.fetch_record_batch()
    batches, cut = collect(reader, limit=limit, max_bytes=max_bytes)
    if cut is not None:
        cursor.adbc_cancel()  # stop the server streaming rows we will not show
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return (table if limit is None else table.slice(0, limit)), cut


def _pg_types(table: "pa.Table") -> tuple[str, ...]:
    return tuple((f.metadata or {}).get(b"POSTGRESQL:type", b"").decode() for f in table.schema)


def normalize(table: "pa.Table") -> "pa.Table":
    """Opaque numerics -> decimal/float, JSON/UUID -> text, so pandas and charts understand them."""
    import pyarrow as pa

    arrays, fields = [], []
    for field, column in zip(table.schema, table.columns):
        column, type_ = _normal_column(field, column)
        arrays.append(column)
        fields.append(pa.field(field.name, type_, field.nullable, field.metadata))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _normal_column(field, column):
    import pyarrow as pa

    type_ = field.type
    if not isinstance(type_, pa.BaseExtensionType):
        return column, type_
    storage = pa.chunked_array([c.storage for c in column.chunks], type_.storage_type)
    meta = field.metadata or {}
    if meta.get(b"POSTGRESQL:type") == b"numeric":
        target = _numeric_type(int(meta.get(b"POSTGRESQL:typmod", b"-1")))
        return storage.cast(target), target
    if pa.types.is_string(storage.type) or pa.types.is_large_string(storage.type):
        return storage, storage.type
    texts = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
    return pa.chunked_array([texts]), pa.string()


def _numeric_type(typmod: int):
    """numeric(p, s) -> decimal128(p, s); unconstrained numeric -> float64."""
    import pyarrow as pa

    if typmod < 4:
        return pa.float64()
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    return pa.decimal128(precision, scale) if 0 < precision <= 38 else pa.float64()
