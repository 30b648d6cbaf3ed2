"""Amazon Redshift: PostgreSQL's wire protocol, but its own catalog views and no COPY TO STDOUT."""

from __future__ import annotations

import re
from dataclasses import replace

from olympus.connectors import plans
from olympus.connectors.base import Keep, Progress
from olympus.connectors import privileges as grants
from olympus.connectors.postgres import Postgres
from olympus.connectors.traits import AgentRules
from olympus.errors import ErrorRule, QueryTimeout, SSLRequired

# Redshift-only views (see the AWS docs for SVV_TABLES / SVV_COLUMNS / SVV_TABLE_INFO). They cover
# late-binding views and Spectrum external tables, which pg_class/pg_attribute do not describe.
TABLES_SQL = """
SELECT table_schema, table_name, table_type FROM svv_tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'"""

COLUMNS_SQL = """
SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default,
       character_maximum_length, numeric_precision, numeric_scale
FROM svv_columns
WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'
ORDER BY table_schema, table_name, ordinal_position"""

# COMMENT ON lands in pg_description on Redshift too; objsubid 0 = the table, n = column n.
COMMENTS_SQL = """
SELECT n.nspname, c.relname, a.attname, d.description
FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"""

# No unnest/ARRAY() on Redshift's leader node: read the constraint definition text instead
# (the same approach as sqlalchemy-redshift).
KEYS_SQL = """
SELECT n.nspname, c.relname, con.contype, pg_get_constraintdef(con.oid), fn.nspname, fc.relname
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'f')"""

# Superuser-only unless granted, and empty tables have no row: read it last and tolerate failure.
ROWS_SQL = 'SELECT "schema", "table", tbl_rows FROM svv_table_info'

# Redshift's pg_proc has no prokind (procedures live in pg_proc_info): volatility only.
FUNCTIONS_SQL = """
SELECT lower(proname), CASE WHEN bool_or(provolatile = 'v') THEN 'volatile' END
FROM pg_proc GROUP BY 1"""

_KINDS = {"VIEW": "view", "LATE BINDING VIEW": "view", "MATERIALIZED VIEW": "view"}
_VERSION = re.compile(r"Redshift\s+(\d+(?:\.\d+)*)")


class Redshift(Postgres):
    """Amazon Redshift (provisioned or Serverless) through psycopg; differences only below."""

    type = "redshift"
    aliases = ()
    label = "Amazon Redshift"
    icon = ":material/warehouse:"
    dialect = "redshift"
    explain_sql = "EXPLAIN {sql}"  # Redshift has no FORMAT JSON: its text plan
    plan_reader = plans.postgres_text
    indexes_sql = None  # Redshift has no indexes (sort and distribution keys instead)
    fence_names = ()
    functions_sql = FUNCTIONS_SQL
    agent_rules = AgentRules(
        "Amazon Redshift (PostgreSQL 8 based)", "identifiers in double quotes; strings in single "
        "quotes", "date_trunc('month', ts), extract(year from ts), getdate(), "
        "dateadd(day, -30, getdate()), datediff(day, a, b)", "LIMIT n (or TOP n)",
        "No generate_series over tables, no arrays; ILIKE works.")
    default_port = 5439
    advisory_locks = False  # Redshift has no advisory locks
    arrow_native = False  # ADBC reads through COPY ... TO STDOUT, which Redshift does not have
    explicit_begin = False  # psycopg's own BEGIN READ ONLY (see begin_readonly)
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_internal", "pg_automv",
                                "pg_auto_copy", "pg_mv", "pg_s3", "catalog_history"})
    fields = tuple(
        replace(f, default=5439) if f.name == "port"
        else replace(f, help="e.g. examplecluster.abc123.us-west-2.redshift.amazonaws.com")
        if f.name == "host"
        else replace(f, default="dev") if f.name == "database"
        else replace(f, help="Optional: postgresql://user:pass@cluster-host:5439/dev instead of "
                             "the fields") if f.name == "url"
        else f
        for f in Postgres.fields)
    error_rules = (
        ErrorRule(r"canceled on user's request|cancelled on user's request", QueryTimeout,
                  "The query ran past its time limit and was stopped.", title="Query timed out"),
        ErrorRule(r"connection to server .*SSL|SSL (SYSCALL|connection has been closed)"
                  r"|require_ssl", SSLRequired,
                  "The cluster closed the connection: it requires an encrypted (SSL) connection.",
                  suggestion="Set sslmode=require (clusters with require_ssl=true need it)."),
        *Postgres.error_rules,
    )

    # ---- version ----------------------------------------------------------------------------
    def clean_version(self, raw: str) -> str:
        """version() says 'PostgreSQL 8.0.2 on i686 ..., Redshift 1.0.12103': keep the last part."""
        found = _VERSION.search(raw)
        return f"Redshift {found.group(1)}" if found else super().clean_version(raw)

    # ---- catalog ----------------------------------------------------------------------------
    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        """Five bulk queries for the whole database, in one read-only transaction."""
        report("Reading tables", 0.1)
        raw_tables = cursor.execute(TABLES_SQL).fetchall()
        report(f"Reading columns of {len(raw_tables)} tables", 0.3)
        raw_columns = cursor.execute(COLUMNS_SQL).fetchall()
        report("Reading comments and keys", 0.6)
        comments = {(s, t, c): d for s, t, c, d in cursor.execute(COMMENTS_SQL).fetchall()}
        raw_keys = cursor.execute(KEYS_SQL).fetchall()
        report("Reading row estimates", 0.8)
        rows = self._row_estimates(cursor)
        tables = [((s, n), s, n, _KINDS.get(str(k).upper(), "table"), comments.get((s, n, None)),
                   rows.get((s, n))) for s, n, k in raw_tables]
        columns = [((s, t), c, column_type(ty, ln, p, sc), str(nl).upper() == "YES",
                    comments.get((s, t, c)), df)
                   for s, t, c, ty, nl, df, ln, p, sc in raw_columns]
        keys = []
        for s, t, kind, definition, ref_schema, ref_table in raw_keys:
            cols, ref_cols = parse_constraint(definition)
            keys.append(((s, t), kind, cols, ref_schema, ref_table, ref_cols))
        return tables, columns, keys

    def _row_estimates(self, cursor) -> dict[tuple[str, str], int]:
        """svv_table_info.tbl_rows; without the grant (or for empty tables) there is no estimate."""
        try:
            return {(s, t): int(r) for s, t, r in cursor.execute(ROWS_SQL).fetchall() if r is not None}
        except Exception:  # permission denied: the transaction is aborted, but we are done with it
            return {}

    # ---- privileges -------------------------------------------------------------------------
    read_only_role_recipe = grants.REDSHIFT_RECIPE

    def privileges(self, cursor) -> tuple[str, ...]:
        """pg_user.usesuper, CREATE, and has_table_privilege writes (no pg_roles on Redshift)."""
        return grants.redshift(cursor)

    # ---- read-only session ------------------------------------------------------------------
    def begin_readonly(self, cursor, timeout_s: float) -> None:
        """Redshift has no SET TRANSACTION: psycopg opens the transaction with BEGIN READ ONLY."""
        from psycopg.pq import TransactionStatus

        raw = cursor.connection
        if raw.info.transaction_status != TransactionStatus.IDLE:
            raw.rollback()  # e.g. the pool's pre-ping left a transaction open
        raw.read_only = True  # the next statement starts with BEGIN READ ONLY
        cursor.execute(f"SET statement_timeout TO {int(timeout_s * 1000)}")



def column_type(data_type: str, length, precision, scale) -> str:
    """svv_columns splits the type: 'character varying' + 256 -> 'character varying(256)'."""
    if length:
        return f"{data_type}({length})"
    if str(data_type).lower() == "numeric" and precision:
        return f"numeric({precision},{scale or 0})"
    return str(data_type)


_IDENT = r'(?:"(?:[^"]|"")*"|[^\s,()"]+)'


def parse_constraint(definition: str) -> tuple[list[str], list[str]]:
    """'FOREIGN KEY (a, "B") REFERENCES s.t(x, y)' -> (['a', 'B'], ['x', 'y'])."""
    lists = re.findall(r"\(([^()]*)\)", definition)
    parsed = [[_unquote(i) for i in re.findall(_IDENT, part)] for part in lists[:2]]
    return (parsed[0] if parsed else []), (parsed[1] if len(parsed) > 1 else [])


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident
