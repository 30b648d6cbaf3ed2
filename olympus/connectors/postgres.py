"""PostgreSQL (and Supabase): catalog from pg_catalog in three bulk queries, results via Arrow."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from olympus.connectors import plans
from olympus.connectors import pg_arrow, pg_rows
from olympus.connectors import privileges as grants
from olympus.connectors.base import Connector, Fetched, Field, Keep, Progress
from olympus.connectors.traits import (FILES, LOCKS, RUNS_TEXT, SEQUENCES, SETTINGS, SIDE_EFFECTS,
                                       SLEEPS, AgentRules, SQLPolicy)
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


# Lower-case function names; a trailing "*" makes a prefix.
DENIED_FUNCTIONS = {
    "set_config": SETTINGS, "pg_reload_conf": SETTINGS, "pg_terminate_backend": SIDE_EFFECTS,
    "pg_cancel_backend": SIDE_EFFECTS, "pg_signal_backend": SIDE_EFFECTS, "lo_*": FILES,
    "loread": FILES, "lowrite": FILES, "pg_read_*": FILES, "pg_ls_*": FILES,
    "pg_stat_file": FILES, "pg_file_*": FILES, "dblink*": RUNS_TEXT, "query_to_xml*": RUNS_TEXT,
    "query_to_xmlschema": RUNS_TEXT, "ts_stat": RUNS_TEXT, "ts_rewrite": RUNS_TEXT,
    "pg_stat_statements_reset": SIDE_EFFECTS, "pg_logdir_ls": FILES, "table_to_xml*": RUNS_TEXT,
    "cursor_to_xml*": RUNS_TEXT, "database_to_xml*": RUNS_TEXT, "schema_to_xml*": RUNS_TEXT,
    "nextval": SEQUENCES, "setval": SEQUENCES, "pg_advisory_*": LOCKS,
    "pg_try_advisory_*": LOCKS, "pg_sleep": SLEEPS, "pg_sleep_for": SLEEPS,
    "pg_sleep_until": SLEEPS, "pg_notify": SIDE_EFFECTS, "pg_switch_wal": SIDE_EFFECTS,
    "pg_create_*": SIDE_EFFECTS, "pg_drop_*": SIDE_EFFECTS, "pg_replication_*": SIDE_EFFECTS,
    "pg_logical_*": SIDE_EFFECTS, "pg_promote": SIDE_EFFECTS, "pg_rotate_logfile": SIDE_EFFECTS,
    "pg_wal_replay_*": SIDE_EFFECTS, "pg_backup_*": SIDE_EFFECTS, "pg_start_backup": SIDE_EFFECTS,
    "pg_stop_backup": SIDE_EFFECTS, "pg_stat_reset*": SIDE_EFFECTS, "pg_log_*": SIDE_EFFECTS,
    "pg_import_system_collations": SIDE_EFFECTS, "pg_truncate_visibility_map": SIDE_EFFECTS,
    "brin_summarize_*": SIDE_EFFECTS, "brin_desummarize_range": SIDE_EFFECTS,
    "gin_clean_pending_list": SIDE_EFFECTS,
    # STABLE, yet each call assigns (burns) a transaction id or an OID
    "txid_current": SEQUENCES, "pg_current_xact_id": SEQUENCES, "pg_nextoid": SEQUENCES,
}


# VOLATILE in pg_proc but harmless to read: random values, wall-clock time, sizes on disk.
VOLATILE_ALLOWED = frozenset({
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v4",
    "pg_database_size", "pg_relation_size", "pg_total_relation_size", "pg_table_size",
    "pg_indexes_size", "pg_column_size",
})
# Every callable, by name: procedures and VOLATILE functions (which may change data or state)
# are refused; STABLE and IMMUTABLE ones may run.
FUNCTIONS_SQL = """
SELECT lower(p.proname),
       CASE WHEN bool_or(p.prokind = 'p') THEN 'procedure'
            WHEN bool_or(p.provolatile = 'v') THEN 'volatile' END
FROM pg_proc p GROUP BY 1"""


class Postgres(Connector):
    """PostgreSQL 12+ and anything that speaks it faithfully (Supabase, Neon, RDS, Cloud SQL)."""

    type = "postgresql"
    aliases = ("postgres", "supabase", "pg")
    label = "PostgreSQL / Supabase"
    icon = ":material/database:"
    dialect = "postgres"
    explain_sql = "EXPLAIN (FORMAT JSON) {sql}"
    plan_reader = plans.postgres_json
    indexes_sql = ("SELECT c.relname, a.attname FROM pg_catalog.pg_index i "
                   "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                   "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
                   "AND a.attnum = i.indkey[0] "
                   "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                   "AND n.nspname NOT LIKE 'pg_toast%'")
    driver_modules = ("psycopg",)  # ADBC only for big reads (prepare imports it then)
    fence_names = ("postgresql", "psql", "pgsql", "plpgsql")
    param_style = "dollar"  # $1, $2: bound server-side (extended protocol), like the guard sees
    default_port = 5432
    sql_policy = SQLPolicy(DENIED_FUNCTIONS, allowed_functions=VOLATILE_ALLOWED,
                           read_statements=frozenset({"Values"}),
                           wrappers=frozenset({"EXPLAIN", "SHOW", "TABLE"}))
    functions_sql = FUNCTIONS_SQL
    agent_rules = AgentRules(
        "PostgreSQL", 'identifiers in double quotes ("Order Items"); strings in single quotes',
        "date_trunc('month', ts), extract(year from ts), now(), current_date, "
        "ts >= date '2024-01-01', interval '30 days', to_char(ts, 'YYYY-MM')",
        "LIMIT n [OFFSET m]", "Use ILIKE for case-insensitive matching; cast with ::type.")
    advisory_locks = True  # pg_advisory_* exist: free them when each query ends
    arrow_native = True  # big results through ADBC (binary COPY) instead of row-by-row Python
    # psycopg in autocommit, sending its own BEGIN READ ONLY and settings in one round trip
    explicit_begin = True
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
        return [key for key in ("host", "username") if not params.get(key)]

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
    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        """Three bulk queries for the whole database (schemas are filtered after assembly)."""
        report("Reading tables", 0.1)
        tables = [(oid, s, n, self.table_kinds.get(k, "table"), d, r)
                  for oid, s, n, k, d, r in cursor.execute(self.tables_sql).fetchall()]
        report(f"Reading columns of {len(tables)} tables", 0.4)
        columns = cursor.execute(self.columns_sql).fetchall()
        report("Reading keys", 0.8)
        return tables, columns, cursor.execute(self.keys_sql).fetchall()

    # ---- privileges -------------------------------------------------------------------------
    read_only_role_recipe = grants.POSTGRES_RECIPE

    def privileges(self, cursor) -> tuple[str, ...]:
        """Superuser, server-file/program roles, CREATE, writes on any visible table."""
        return grants.postgres(cursor)

    # ---- read-only session ------------------------------------------------------------------
    def __init__(self, params=None, **options) -> None:
        super().__init__(params, **options)
        self._arrow_pool = None
        self._arrow_lock = threading.Lock()

    def engine_options(self) -> dict[str, Any]:
        options = super().engine_options()
        return {**options, "isolation_level": "AUTOCOMMIT"} if self.explicit_begin else options

    def prepare(self, *, limit: int | None = None) -> None:
        super().prepare(limit=limit)
        if self.arrow_native and _big(limit):
            import adbc_driver_postgresql.dbapi  # noqa: F401

    @contextmanager
    def connection(self, purpose: str) -> Iterator[Any]:
        """Big reads take Arrow through an ADBC pool (binary COPY); the rest goes through
        psycopg."""
        if purpose != "arrow":
            with super().connection(purpose) as conn:
                yield conn
            return
        with self._arrow_lock:
            if self._arrow_pool is None:
                self._arrow_pool = pg_arrow.make_pool(self)
            pool = self._arrow_pool
        conn = pool.connect()
        try:
            yield conn
        finally:
            conn.close()  # the pool rolls back on return

    def begin_readonly(self, cursor, timeout_s: float) -> None:
        if not pg_rows.is_adbc(cursor) and getattr(cursor.connection, "autocommit", False):
            cursor.execute(pg_rows.begin_sql(timeout_s))
            return
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        cursor.execute("SET LOCAL standard_conforming_strings = on")  # as the guard assumes

    def end_readonly(self, conn) -> None:
        """Roll back, then free session advisory locks, which a rollback doesn't release (a
        lock a function took must not outlive its query)."""
        if getattr(conn, "autocommit", False) is True:  # psycopg: one round trip for both
            try:
                conn.cursor().execute(pg_rows.end_sql(self.advisory_locks))
            except Exception:  # broken: the pool discards it (and its locks) instead
                _invalidate(conn)
            return
        super().end_readonly(conn)
        if not self.advisory_locks:
            return
        try:
            conn.cursor().execute(pg_arrow.UNLOCK_SQL)
            conn.rollback()
        except Exception:  # broken connection: the pool discards it, and its locks with it
            _invalidate(conn)

    def execute(self, cursor, sql: str, timeout_s: float) -> None:
        """prepare=True forces the extended protocol, which refuses several statements."""
        cursor.execute(sql, prepare=True)

    def query_purpose(self, sql: str, limit: int | None = None) -> str:
        """EXPLAIN and SHOW can't sit inside COPY (...) or a subquery: "meta"; big reads
        "arrow" (ADBC); everything else "query" (psycopg)."""
        if sql.lstrip().split(None, 1)[0].upper() in ("EXPLAIN", "SHOW"):
            return "meta"
        return "arrow" if self.arrow_native and _big(limit) else "query"

    def run(self, cursor, sql: str, *, limit: int | None, timeout_s: float) -> Fetched:
        if pg_rows.is_adbc(cursor):
            return pg_arrow.run(cursor, sql, limit=limit, max_bytes=self.max_result_bytes)
        if not self.arrow_native or limit is None or self.query_purpose(sql) == "meta":
            return super().run(cursor, sql, limit=limit, timeout_s=timeout_s)
        return pg_rows.run(cursor, sql, limit=limit, max_bytes=self.max_result_bytes,
                           describe=self.describe_type)

    def run_bound(self, cursor, sql: str, params: list, *, limit: int | None,
                  timeout_s: float) -> Fetched:
        """psycopg's RawCursor takes PostgreSQL's own $1 placeholders as they are (no %s
        rewriting); the values go out as bind parameters of one prepared statement."""
        from psycopg import RawCursor
        from psycopg.types.string import TextLoader

        raw = RawCursor(cursor.connection)
        for name in ("json", "jsonb"):  # as text, like the unbound paths
            raw.adapters.register_loader(name, TextLoader)
        try:
            raw.execute(sql, self.driver_values(params), prepare=True)
            return self.read(raw, limit)
        finally:
            raw.close()

    def canceller(self, cursor):
        return pg_rows.canceller(cursor)

    def describe_type(self, type_code) -> str:
        return pg_rows.type_name(type_code)

    def dispose(self) -> None:
        super().dispose()
        with self._arrow_lock:
            pool, self._arrow_pool = self._arrow_pool, None
        if pool is not None:
            pool.dispose()


def _big(limit: int | None) -> bool:
    """Unlimited or at least ARROW_MIN_ROWS rows: ADBC's binary COPY wins there."""
    return limit is None or limit >= pg_rows.ARROW_MIN_ROWS


def _invalidate(conn) -> None:
    invalidate = getattr(conn, "invalidate", None)
    if invalidate is not None:
        invalidate()
