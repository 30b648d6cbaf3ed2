"""Google BigQuery: dry run first (must be a SELECT), then the job with a bytes cap and a timeout."""

from __future__ import annotations

import json
import re
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from olympus.connectors.arrow import collect
from olympus.connectors.base import Connector, Fetched, Field, Keep, Progress
from olympus.connectors.functions import rows_to_learned
from olympus.connectors import privileges as grants
from olympus.connectors.traits import RUNS_TEXT, AgentRules, Capabilities, SQLPolicy
from olympus.errors import (AuthenticationFailed, ConfigError, ConnectionFailed, ErrorRule,
                            PermissionDenied, QueryCancelled, QueryTimeout, RateLimited,
                            SQLSyntaxError, UnsafeSQL)

DEFAULT_MAX_BYTES = 10 * 1024 ** 3  # 10 GiB per query unless the connection says otherwise
EXACT_META_MAX_TABLES = 100  # fallback row counts (one API call per table) only for small datasets

# Separate simple queries: joins between INFORMATION_SCHEMA views trip up emulators, and an
# optional view (descriptions) that fails must not take the required one down with it.
TABLES_SQL = "SELECT table_name, table_type FROM `{ds}.INFORMATION_SCHEMA.TABLES`"
TABLE_OPTIONS_SQL = """SELECT table_name, option_value FROM `{ds}.INFORMATION_SCHEMA.TABLE_OPTIONS`
WHERE option_name = 'description'"""
COLUMNS_SQL = """SELECT table_name, column_name, data_type, is_nullable
FROM `{ds}.INFORMATION_SCHEMA.COLUMNS` ORDER BY table_name, ordinal_position"""
FIELD_PATHS_SQL = """SELECT table_name, column_name, description
FROM `{ds}.INFORMATION_SCHEMA.COLUMN_FIELD_PATHS`
WHERE field_path = column_name AND description IS NOT NULL"""
ROWS_SQL = "SELECT table_id, row_count FROM `{ds}.__TABLES__`"
KEYS_SQL = """SELECT k.table_name, c.constraint_type, k.constraint_name, k.column_name,
       u.table_schema, u.table_name, u.column_name
FROM `{ds}.INFORMATION_SCHEMA.TABLE_CONSTRAINTS` c
JOIN `{ds}.INFORMATION_SCHEMA.KEY_COLUMN_USAGE` k USING (constraint_name)
LEFT JOIN `{ds}.INFORMATION_SCHEMA.CONSTRAINT_COLUMN_USAGE` u
  ON c.constraint_type = 'FOREIGN KEY' AND u.constraint_name = k.constraint_name
WHERE c.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
ORDER BY k.constraint_name, k.ordinal_position"""

ROUTINES_SQL = """SELECT lower(routine_name), CASE WHEN routine_type = 'PROCEDURE' THEN 'procedure'
END FROM `{ds}.INFORMATION_SCHEMA.ROUTINES`"""

_BYTES = re.compile(r"bytes billed:?\s*(\d+)\.\s*(\d+) or higher required", re.I)


class BigQuery(Connector):
    """BigQuery through google-cloud-bigquery (and sqlalchemy-bigquery for the engine)."""

    type = "bigquery"
    label = "Google BigQuery"
    icon = ":material/cloud:"
    dialect = "bigquery"
    price_per_tib_usd = 6.25  # on-demand list price per TiB scanned (US multi-region, 2025)
    driver_modules = ("google.cloud.bigquery",)
    fence_names = ("googlesql",)
    version_query = ""  # BigQuery has no version; server_info() says "BigQuery"
    system_schemas = frozenset({"information_schema"})
    # jobs, not sessions: a dry run must report a SELECT within the bytes cap before a job runs
    capabilities = Capabilities(read_only_session=False)
    # APPENDS/CHANGES(TABLE t, ...) read a table's change history; sqlglot can't parse the TABLE
    # keyword there, so the checked copy drops it (the table reference itself stays checked)
    sql_policy = SQLPolicy({"external_query": RUNS_TEXT},
                           builtin_functions=frozenset({"appends", "changes"}),
                           parse_rewrites=((r"\b(APPENDS|CHANGES)\s*\(\s*TABLE\s+", r"\1("),))
    agent_rules = AgentRules(
        "Google BigQuery (GoogleSQL)", "identifiers and table paths in backticks "
        "(`project.dataset.table`); strings in single or double quotes",
        "DATE_TRUNC(d, MONTH), EXTRACT(YEAR FROM d), TIMESTAMP_TRUNC(ts, MONTH), "
        "DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY), FORMAT_DATE('%Y-%m', d)", "LIMIT n",
        "Qualify tables with their dataset; SAFE_DIVIDE avoids division by zero.")
    target_fields = ("project", "api_endpoint", "location")
    fields = (
        Field("project", "Project", required=True, help="Google Cloud project ID that runs the jobs"),
        Field("dataset", "Default dataset", help="Unqualified table names resolve here"),
        Field("location", "Location", help="e.g. US, EU, europe-west2 (optional)"),
        Field("credentials_json", "Service-account JSON", "file", secret=True,
              help="The key file (.json) of a service account with BigQuery Data Viewer + Job "
                   "User; none = application default credentials"),
        Field("maximum_bytes_billed", "Max bytes billed", "int", default=DEFAULT_MAX_BYTES,
              help="A query that would scan more than this fails instead of costing money"),
        Field("api_endpoint", "API endpoint (advanced)",
              help="Advanced/testing: REST endpoint of a BigQuery emulator; uses anonymous "
                   "credentials"),
    )
    error_rules = (
        ErrorRule(r"bytesBilledLimitExceeded|limit for bytes billed", UnsafeSQL,
                  "The query would process more bytes than the max bytes billed setting allows.",
                  title="Query too expensive",
                  suggestion="Filter on partition/cluster columns, select fewer columns, or raise "
                             "Max bytes billed."),
        ErrorRule(r"billingNotEnabled|billing (has not been|is not) enabled", PermissionDenied,
                  "Billing is not enabled for this Google Cloud project.",
                  suggestion="Enable billing, or run jobs in a project that has it."),
        ErrorRule(r"quotaExceeded|rateLimitExceeded|quota exceeded", RateLimited,
                  "BigQuery refused the job: a quota or rate limit was exceeded.",
                  title="BigQuery quota exceeded", suggestion="Wait a little and try again."),
        ErrorRule(r"invalid_grant|invalid jwt|DefaultCredentialsError|\b401\b|unauthenticated",
                  AuthenticationFailed, "Authentication failed. Check credentials.",
                  suggestion="Check the service-account JSON (or application default credentials)."),
        ErrorRule(r"\b403\b|accessDenied|access denied|permission .*denied", PermissionDenied,
                  "Access denied by BigQuery.",
                  suggestion="Grant the service account BigQuery Job User on the project and "
                             "Data Viewer on the datasets."),
        ErrorRule(r"connection refused|failed to establish a new connection|name or service not "
                  r"known|max retries exceeded", ConnectionFailed,
                  "The server could not be reached."),
        ErrorRule(r"job(TimeoutMs| timed out| exceeded)|timeout of [\d.]+s exceeded|"
                  r"read timed out|deadline exceeded|TimeoutError", QueryTimeout,
                  "The query ran past its time limit and was stopped.", title="Query timed out"),
        ErrorRule(r"\b404\b.*not found: dataset", SQLSyntaxError,
                  "That dataset does not exist (or is in another project/location)."),
        ErrorRule(r"\b404\b|not found: table|\b400\b|syntax error|invalidQuery", SQLSyntaxError,
                  "The database could not run this SQL."),
    )

    def __init__(self, params=None, **options) -> None:
        super().__init__(params, **options)
        self._client = None
        self._client_lock = threading.Lock()

    # ---- client and engine ------------------------------------------------------------------
    def client(self):
        """One google.cloud.bigquery.Client per connector, built from our own settings."""
        with self._client_lock:
            if self._client is None:
                from google.cloud import bigquery

                options: dict[str, Any] = {"project": self.params["project"],
                                           "credentials": self.credentials()}
                if self.params.get("location"):
                    options["location"] = self.params["location"]
                if self.params.get("api_endpoint"):
                    from google.api_core.client_options import ClientOptions

                    options["client_options"] = ClientOptions(
                        api_endpoint=self.params["api_endpoint"])
                self._client = bigquery.Client(**options)
            return self._client

    def credentials(self):
        """Service-account JSON, anonymous for an emulator endpoint, else application default."""
        if self.params.get("api_endpoint"):
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        if not self.params.get("credentials_json"):
            return None  # google.auth.default() inside the client
        from google.oauth2 import service_account

        try:
            info = json.loads(self.params["credentials_json"])
            return service_account.Credentials.from_service_account_info(
                info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
        except Exception:  # never echo the key material
            raise ConfigError("The service-account JSON could not be read.",
                              suggestion="Paste the whole key file of a service account "
                                         "(it starts with {\"type\": \"service_account\").") from None

    def url(self) -> str:
        dataset = self.params.get("dataset") or ""
        return f"bigquery://{self.params['project']}/{dataset}?user_supplied_client=true"

    def engine_options(self) -> dict[str, Any]:
        return {**super().engine_options(), "connect_args": {"client": self.client()}}

    @contextmanager
    def connection(self, purpose: str) -> Iterator[Any]:
        """Jobs, not a DBAPI session: every query goes through run() (dry run first)."""
        yield _Jobs()

    def dispose(self) -> None:
        super().dispose()
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _retry(self, deadline: float):
        from google.cloud.bigquery import DEFAULT_RETRY

        return DEFAULT_RETRY.with_deadline(deadline)

    def _config(self, *, default_dataset: bool = True, **extra):
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(labels={"tool": "olympus"}, **extra)
        if default_dataset and self.params.get("dataset"):
            config.default_dataset = f"{self.params['project']}.{self.params['dataset']}"
        return config

    # ---- privileges -------------------------------------------------------------------------
    read_only_role_recipe = grants.BIGQUERY_RECIPE
    privileges_in_session = False  # IAM roles aren't visible to a query: privileges() is None

    # ---- test -------------------------------------------------------------------------------
    def server_info(self) -> tuple[str | None, str | None]:
        """A free dry run proves the endpoint, the credentials and the job permission."""
        self.client().query("SELECT 1", job_config=self._config(dry_run=True),
                            retry=self._retry(self.connect_timeout), timeout=self.connect_timeout,
                            job_retry=None)
        return "BigQuery", self.params["project"]

    # ---- catalog ----------------------------------------------------------------------------
    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        """Bulk INFORMATION_SCHEMA queries per dataset; excluded datasets are never read."""
        datasets = [d.dataset_id for d in self.client().list_datasets(
            retry=self._retry(self.statement_timeout_s), timeout=self.statement_timeout_s)]
        datasets = [d for d in datasets if keep(d)]
        tables, columns, keys = [], [], []
        for i, dataset in enumerate(datasets):
            report(f"Reading dataset {dataset}", i / max(len(datasets), 1))
            t, c, k = self._dataset_rows(dataset)
            tables += t
            columns += c
            keys += k
        return tables, columns, keys

    def learn_functions(self, cursor) -> dict[str, str | None]:
        """Routines of the default dataset (persistent UDFs are read-only; procedures need CALL,
        which the guard refuses anyway). Elsewhere only built-ins run unless an admin allows."""
        if not self.params.get("dataset"):
            return {}
        ds = f"{self.params['project']}.{self.params['dataset']}"
        return rows_to_learned(self._optional(ROUTINES_SQL.format(ds=ds)))

    def _dataset_rows(self, dataset: str) -> tuple[list, list, list]:
        """Bulk INFORMATION_SCHEMA queries per dataset; optional parts degrade to nothing."""
        ds = f"{self.params['project']}.{dataset}"
        raw = self._rows(TABLES_SQL.format(ds=ds))
        notes = dict(self._optional(TABLE_OPTIONS_SQL.format(ds=ds)))
        counts = self._row_counts(ds, dataset, [r[0] for r in raw if r[1] == "BASE TABLE"])
        tables = [((dataset, n), dataset, n, "view" if "VIEW" in str(k) else "table",
                   _option_text(notes.get(n)), counts.get(n)) for n, k in raw]
        described = {(t, c): d for t, c, d in self._optional(FIELD_PATHS_SQL.format(ds=ds))}
        columns = [((dataset, t), c, ty, str(nl).upper() == "YES", described.get((t, c)), None)
                   for t, c, ty, nl in self._rows(COLUMNS_SQL.format(ds=ds))]
        return tables, columns, self._keys(ds, dataset)

    def _row_counts(self, ds: str, dataset: str, names: list[str]) -> dict[str, int]:
        """__TABLES__ in one query; else table metadata, one call per table (small datasets)."""
        try:
            return {t: int(r) for t, r in self._rows(ROWS_SQL.format(ds=ds)) if r is not None}
        except Exception:
            pass
        if len(names) > EXACT_META_MAX_TABLES:
            return {}
        out = {}
        for name in names:
            table = self.client().get_table(f"{ds}.{name}", retry=self._retry(10), timeout=10)
            if table.num_rows is not None:
                out[name] = int(table.num_rows)
        return out

    def _keys(self, ds: str, dataset: str) -> list[tuple]:
        """Unenforced PRIMARY KEY / FOREIGN KEY constraints (BigQuery has them since 2023)."""
        try:
            rows = self._rows(KEYS_SQL.format(ds=ds))
        except Exception:  # emulators without the constraint views: no keys
            return []
        grouped: dict[str, dict] = {}
        for table, kind, name, column, ref_schema, ref_table, ref_column in rows:
            entry = grouped.setdefault(name, {"table": table, "kind": kind, "cols": [],
                                              "ref": (ref_schema, ref_table), "ref_cols": []})
            if column not in entry["cols"]:
                entry["cols"].append(column)
            if ref_column and ref_column not in entry["ref_cols"]:
                entry["ref_cols"].append(ref_column)
        return [((dataset, e["table"]), "p" if e["kind"].startswith("PRIMARY") else "f",
                 e["cols"], *e["ref"], e["ref_cols"]) for e in grouped.values()]

    def _optional(self, sql: str) -> list[tuple]:
        """Metadata we can live without (descriptions): a failure means none, not no catalog."""
        try:
            return self._rows(sql)
        except Exception:
            return []

    def _rows(self, sql: str) -> list[tuple]:
        # fully qualified catalog SQL: no default dataset (the emulator mis-rewrites with one)
        job = self.client().query(sql, job_config=self._config(default_dataset=False),
                                  retry=self._retry(self.statement_timeout_s),
                                  timeout=self.statement_timeout_s, job_retry=None)
        return [tuple(r.values()) for r in job.result(timeout=self.statement_timeout_s)]

    # ---- read-only execution ----------------------------------------------------------------
    def run(self, cursor, sql: str, *, limit: int | None, timeout_s: float,
            params: list | None = None) -> Fetched:
        """Dry run (must be a SELECT, within the bytes cap), then the job, limit + 1 rows."""
        self.dry_run(sql, timeout_s, params=params)
        job = self.client().query(
            sql, job_config=self._config(
                maximum_bytes_billed=self.params["maximum_bytes_billed"],
                job_timeout_ms=int(timeout_s * 1000), **_bound(params)),
            retry=self._retry(timeout_s), timeout=timeout_s, job_retry=None,
            job_id=getattr(cursor, "job_id", None))
        cursor.job = job
        try:
            if cursor.cancelled:  # cancelled while the job was being created
                raise QueryCancelled("Cancelled: the query was stopped on the server.", sql=sql)
            rows = job.result(timeout=timeout_s, retry=self._retry(timeout_s),
                              max_results=None if limit is None else limit + 1)
        except BaseException:
            _cancel(job)
            raise
        from dataclasses import replace

        billed = job.total_bytes_billed  # what the job is billed for; else what it processed
        billed = billed if billed is not None else job.total_bytes_processed
        return replace(self._read(rows, limit),
                       scanned_bytes=int(billed) if billed is not None else None)

    def _read(self, rows, limit: int | None) -> Fetched:
        """Result pages as Arrow until limit + 1 rows or the byte cap."""
        import pyarrow as pa

        db_types = tuple(f.field_type for f in rows.schema)
        empty = rows.to_arrow(create_bqstorage_client=False) if rows.total_rows == 0 else None
        if empty is not None:
            return Fetched(empty, False, db_types)
        pages = rows.to_arrow_iterable(bqstorage_client=None)
        batches, cut = collect(pages, limit=limit, max_bytes=self.max_result_bytes)
        table = pa.Table.from_batches(batches)
        table = table if limit is None else table.slice(0, limit)
        return Fetched(table, cut is not None, db_types, cut)

    def canceller(self, cursor):
        """BigQuery's jobs.cancel on this session's job, by the id chosen here: at once, even
        while jobs.insert has not returned yet (run() cancels again once it has)."""
        cursor.job_id = f"olympus_{uuid.uuid4().hex}"

        def cancel() -> None:
            cursor.cancelled = True
            if cursor.job is not None:
                _cancel(cursor.job)
                return
            try:
                self.client().cancel_job(cursor.job_id, retry=None, timeout=5)
            except Exception:  # not created yet (404): the flag stops it once it is
                pass
        return cancel

    def estimate(self, sql: str, *, timeout_s: float) -> "Plan":
        """The bytes a query would bill, from BigQuery's own dry run (nothing runs, nothing billed)."""
        from olympus.connectors.plans import Plan
        from olympus.guard import check_sql

        clean = check_sql(sql, self.dialect, policy=self.policy())
        try:
            job = self.client().query(clean, job_config=self._config(dry_run=True,
                                                                     use_query_cache=False),
                                      retry=self._retry(timeout_s), timeout=timeout_s,
                                      job_retry=None)
        except Exception as exc:
            raise self.map_error(exc, clean) from None
        return Plan(bytes=int(job.total_bytes_processed or 0))

    def partition_columns(self, tables, *, timeout_s: float) -> dict[str, str]:
        """Each partitioned table's partitioning column (_PARTITIONTIME for ingestion time)."""
        out: dict[str, str] = {}
        for name in tables:
            parts = [p for p in str(name).split(".") if p]
            if len(parts) == 1 and self.params.get("dataset"):
                parts = [self.params["dataset"], *parts]
            if len(parts) == 2:
                parts = [self.params["project"], *parts]
            try:
                table = self.client().get_table(".".join(parts), timeout=timeout_s)
            except Exception:  # unknown here: the query's own error will say more
                continue
            if table.time_partitioning is not None:
                out[parts[-1].lower()] = table.time_partitioning.field or "_PARTITIONTIME"
            elif table.range_partitioning is not None:
                out[parts[-1].lower()] = table.range_partitioning.field
        return out

    def run_bound(self, cursor, sql: str, params: list, *, limit: int | None,
                  timeout_s: float) -> Fetched:
        """`?` placeholders as BigQuery's positional query parameters (typed, server-side)."""
        return self.run(cursor, sql, limit=limit, timeout_s=timeout_s, params=params)

    def dry_run(self, sql: str, timeout_s: float, *, params: list | None = None) -> None:
        """BigQuery's own parse: anything but a SELECT, or too many bytes, stops here."""
        job = self.client().query(sql, job_config=self._config(dry_run=True, use_query_cache=False,
                                                               **_bound(params)),
                                  retry=self._retry(timeout_s), timeout=timeout_s, job_retry=None)
        kind = job.statement_type or "unknown"
        if kind != "SELECT":
            raise UnsafeSQL(f"BigQuery's dry run classifies this as a {kind} statement; "
                            "only SELECT runs.", sql=sql)
        cap, scanned = self.params["maximum_bytes_billed"], job.total_bytes_processed or 0
        if scanned > cap:
            raise UnsafeSQL(bytes_message(scanned, cap), title="Query too expensive", sql=sql,
                            suggestion="Filter on partition/cluster columns, select fewer "
                                       "columns, or raise Max bytes billed.")

    def map_error(self, exc: BaseException, sql: str | None = None):
        """The bytes-billed error carries numbers worth showing; everything else uses the table."""
        found = _BYTES.search(str(exc))
        if found:
            return UnsafeSQL(bytes_message(int(found.group(2)), int(found.group(1))),
                             title="Query too expensive", sql=sql,
                             suggestion="Filter on partition/cluster columns, select fewer columns, "
                                        "or raise Max bytes billed.")
        return super().map_error(exc, sql)


def bytes_message(scanned: int, cap: int) -> str:
    return (f"This query would process {scanned:,} bytes, above the max bytes billed setting "
            f"({cap:,} bytes).")


def _option_text(value) -> str | None:
    """TABLE_OPTIONS values are SQL literals ('"People"'); unquote them."""
    if value is None:
        return None
    try:
        return str(json.loads(value))
    except (TypeError, ValueError):
        return str(value).strip('"')


class _Jobs:
    """Stands in for a DBAPI connection and cursor: BigQuery has nothing to open or roll back;
    it remembers the session's job, so a cancel can reach it."""

    def __init__(self) -> None:
        self.job, self.cancelled = None, False
        self.job_id: str | None = None  # chosen by a canceller before the job is sent

    def cursor(self) -> "_Jobs":
        return self

    def rollback(self) -> None:
        """Jobs are not transactions; the dry run already refused anything but a SELECT."""

    def close(self) -> None:
        """Nothing is held open between jobs."""


def _bound(params: list | None) -> dict:
    """QueryJobConfig's query_parameters for positional `?` values (none: no key at all)."""
    import datetime as dt
    from decimal import Decimal

    from google.cloud.bigquery import ScalarQueryParameter

    if params is None:
        return {}
    types = ((bool, "BOOL"), (int, "INT64"), (float, "FLOAT64"), (Decimal, "NUMERIC"),
             (dt.datetime, "DATETIME"), (dt.date, "DATE"), (bytes, "BYTES"))
    out = []
    for value in params:
        kind = next((name for cls, name in types if isinstance(value, cls)), "STRING")
        if kind == "DATETIME" and value.tzinfo is not None:
            kind = "TIMESTAMP"
        out.append(ScalarQueryParameter(None, kind, value if kind != "STRING" else str(value)))
    return {"query_parameters": out}


def _cancel(job) -> None:
    try:
        job.cancel(timeout=5)
    except Exception:  # best effort: the job may already be done
        pass
