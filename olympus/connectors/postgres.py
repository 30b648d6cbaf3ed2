"""PostgreSQL (and Supabase): catalog from pg_catalog in three bulk queries, results via Arrow."""

from __future__ import annotations

from typing import Any, Iterable

from olympus.connectors._catalog import assemble, paused_gc
from olympus.connectors.base import Connector, Fetched, Field, Progress
from olympus.connectors import pg_arrow
from olympus.errors import ConfigError, ErrorRule, SSLRequired

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

_KINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "view"}
_SCOPE = """c.relkind IN ('r','p','v','m','f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND has_schema_privilege(n.oid, 'USAGE')"""

TABLES_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, d.description, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE {_SCOPE}"""

# Defaults deparse with no relation (0) unless the column is generated (only those hold column
# references): pg_get_expr(adbin, adrelid) opens every table with a default, building its relcache
# entry, which in a fresh session costs more than the rest of the query together.
COLUMNS_SQL = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       d.description,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0)
            ELSE pg_get_expr(ad.adbin, ad.adrelid) END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND {_SCOPE}
ORDER BY a.attrelid, a.attnum"""

# Key column names in constraint order. Most keys have one column: a direct index lookup for those
# is several times cheaper than the general ARRAY(subquery) each constraint would otherwise run.
_KEY_NAMES = """CASE WHEN cardinality(con.{key}) = 1
    THEN ARRAY[(SELECT a.attname FROM pg_attribute a
                WHERE a.attrelid = con.{rel} AND a.attnum = con.{key}[1])]
    ELSE ARRAY(SELECT a.attname FROM pg_attribute a
               WHERE a.attrelid = con.{rel} AND a.attnum = ANY(con.{key})
               ORDER BY array_position(con.{key}, a.attnum)) END"""

KEYS_SQL = f"""
SELECT con.conrelid, con.contype, {_KEY_NAMES.format(key="conkey", rel="conrelid")},
  fn.nspname, fc.relname, {_KEY_NAMES.format(key="confkey", rel="confrelid")}
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'f')"""


class Postgres(Connector):
    """PostgreSQL 12+ and anything that speaks it faithfully (Supabase, Neon, RDS, Cloud SQL)."""

    type = "postgresql"
    label = "PostgreSQL / Supabase"
    icon = ":material/database:"
    dialect = "postgres"
    default_port = 5432
    arrow_native = True  # results through ADBC (binary COPY) instead of row-by-row Python
    # Bulk catalog queries (whole database, three round trips); Redshift swaps in its own views.
    tables_sql, columns_sql, keys_sql = TABLES_SQL, COLUMNS_SQL, KEYS_SQL
    table_kinds = _KINDS
    fields = (
        Field("url", "Connection URL", "password", secret=True,
              help="Optional: a full postgresql://user:pass@host:port/db URL instead of the fields"),
        Field("host", "Host", help="e.g. db.abcd.supabase.co"),
        Field("port", "Port", "int", default=5432),
        Field("database", "Database", default="postgres"),
        Field("username", "Username"),
        Field("password", "Password", "password", secret=True),
        Field("sslmode", "SSL mode", "select", default="prefer", options=SSL_MODES,
              help="Use require (or verify-full) for hosted databases such as Supabase"),
    )
    error_rules = (
        ErrorRule(r"server does not support SSL", SSLRequired,
                  "The server does not support SSL but this connection requires it.",
                  suggestion="Set sslmode=prefer or disable for this server."),
        ErrorRule(r"database \".*\" does not exist", ConfigError,
                  "That database does not exist on the server.",
                  title="Unknown database", suggestion="Check the database name."),
    )

    @classmethod
    def missing_required(cls, params) -> list[str]:
        if params.get("url"):
            return []
        return [label for key, label in (("host", "Host"), ("username", "Username"))
                if not params.get(key)]

    @classmethod
    def validate(cls, params: dict[str, Any]) -> dict[str, Any]:
        out = super().validate(params)
        if out.get("sslmode") not in SSL_MODES:
            raise ConfigError(f"SSL mode must be one of: {', '.join(SSL_MODES)}.")
        return out

    # ---- URLs -------------------------------------------------------------------------------
    def url(self):
        from sqlalchemy.engine import URL, make_url

        query = {"sslmode": self.params["sslmode"], "connect_timeout": str(self.connect_timeout)}
        if self.params.get("url"):
            try:
                url = make_url(str(self.params["url"]).replace("postgres://", "postgresql://", 1))
            except Exception:
                raise ConfigError("The connection URL is not valid.",
                                  suggestion="Use postgresql://user:password@host:port/database") from None
            return url.set(drivername="postgresql+psycopg").update_query_dict(
                {k: v for k, v in query.items() if k not in url.query})
        return URL.create("postgresql+psycopg", username=self.params.get("username"),
                          password=self.params.get("password"), host=self.params["host"],
                          port=self.params["port"], database=self.params.get("database"),
                          query=query)

    def libpq_uri(self) -> str:
        """The same target as a libpq URI, for the Arrow (ADBC) result path."""
        url = self.url().set(drivername="postgresql")
        if url.host and url.host.startswith("/"):  # a socket directory can't sit in the authority
            extra = {"host": url.host, **({"port": str(url.port)} if url.port else {})}
            url = url._replace(host=None, port=None).update_query_dict(extra)
        return url.render_as_string(hide_password=False)

    # ---- catalog ----------------------------------------------------------------------------
    def read_catalog(self, *, include: Iterable[str] | None = None,
                     exclude: Iterable[str] | None = None,
                     progress: Progress | None = None) -> list[dict]:
        with paused_gc():  # 100k+ row tuples arriving would trigger full collections
            tables, columns, keys = self.catalog_rows(progress)
        schemas = {t[1] for t in tables}
        kept = {s for s in schemas if self.keep_schema(s, include, exclude)}
        if kept != schemas:  # assemble() drops columns and keys of tables it was not given
            tables = [t for t in tables if t[1] in kept]
        return assemble(tables, columns, keys)

    def catalog_rows(self, progress: Progress | None) -> tuple[list, list, list]:
        """Three bulk queries for the whole database, in one read-only transaction."""
        report = progress or (lambda _msg, _frac: None)
        with self.engine.connect() as conn:
            try:
                self.begin_readonly(conn, self.statement_timeout_s * 4)
                cursor = conn.connection.driver_connection.cursor()
                report("Reading tables", 0.1)
                tables = [(oid, s, n, self.table_kinds.get(k, "table"), d, r)
                          for oid, s, n, k, d, r in cursor.execute(self.tables_sql).fetchall()]
                report(f"Reading columns of {len(tables)} tables", 0.4)
                columns = cursor.execute(self.columns_sql).fetchall()
                report("Reading keys", 0.8)
                keys = cursor.execute(self.keys_sql).fetchall()
            except Exception as exc:
                raise self.map_error(exc) from None
            finally:
                self.end_readonly(conn)
        report("Done", 1.0)
        return tables, columns, keys

    # ---- read-only session ------------------------------------------------------------------
    def begin_readonly(self, conn, timeout_s: float) -> None:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        cursor.execute("SET LOCAL standard_conforming_strings = on")  # as the guard assumes

    def execute_cursor(self, conn, sql: str):
        """prepare=True forces the extended protocol, which refuses several statements."""
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(sql, prepare=True)
        return cursor

    def fetch(self, sql: str, *, limit: int | None, timeout_s: float) -> Fetched:
        if not self.arrow_native:
            return super().fetch(sql, limit=limit, timeout_s=timeout_s)
        try:
            return pg_arrow.fetch(self, sql, limit=limit, timeout_s=timeout_s)
        except Exception as exc:
            raise self.map_error(exc, sql) from None

    def dispose(self) -> None:
        super().dispose()
        pg_arrow.dispose(self)
