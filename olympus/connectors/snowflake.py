"""Snowflake: bulk information_schema catalog, statement-level timeout + query tag, Arrow results."""

from __future__ import annotations

import math
import uuid
from typing import Any

from olympus.connectors import plans
from olympus.connectors.arrow import collect, rows_to_arrow
from olympus.connectors.base import Connector, Fetched, Field, Keep, Progress
from olympus.connectors.functions import rows_to_learned
from olympus.connectors import privileges as grants
from olympus.connectors.traits import (FILES, SEQUENCES, SIDE_EFFECTS, AgentRules, Capabilities,
                                       SQLPolicy)
from olympus.errors import (AuthenticationFailed, ConfigError, ConnectionFailed, ErrorRule,
                            PermissionDenied, QueryTimeout, SQLSyntaxError)

TABLES_SQL = """SELECT table_schema, table_name, table_type, row_count, comment
FROM {db}.information_schema.tables WHERE table_schema <> 'INFORMATION_SCHEMA'"""

COLUMNS_SQL = """SELECT table_schema, table_name, column_name, data_type, is_nullable, comment,
       column_default, character_maximum_length, numeric_precision, numeric_scale
FROM {db}.information_schema.columns WHERE table_schema <> 'INFORMATION_SCHEMA'
ORDER BY table_schema, table_name, ordinal_position"""

# information_schema.tables lists views on Snowflake; some emulators only list them here.
VIEWS_SQL = """SELECT table_schema, table_name, 'VIEW', NULL, comment
FROM {db}.information_schema.views WHERE table_schema <> 'INFORMATION_SCHEMA'"""

DENIED_FUNCTIONS = {"system$*": SIDE_EFFECTS, "nextval": SEQUENCES,
                    "get_presigned_url": FILES, "build_scoped_file_url": FILES,
                    "build_stage_file_url": FILES, "get_absolute_path": FILES}
SYSTEM_ALLOWED = frozenset({"system$typeof"})  # read-only SYSTEM$ functions
TABLE_FUNCTIONS = frozenset({"flatten", "generator", "split_to_table", "strtok_split_to_table"})
# User functions (UDFs can't run DML; external ones call out) and procedures, one query each.
FUNCTIONS_SQL = """SELECT lower(function_name), CASE WHEN is_external = 'YES' THEN 'external' END
FROM {db}.information_schema.functions"""
PROCEDURES_SQL = "SELECT lower(procedure_name), 'procedure' FROM {db}.information_schema.procedures"
MAX_TEXT = 16_777_216  # Snowflake's default VARCHAR length: not worth showing
QUERY_TAG = "olympus"
# On the cursor while a cancellable statement runs: [request id it is sent with, its SQL text].
STATEMENT = "olympus_statement"


class Snowflake(Connector):
    """Snowflake through snowflake-sqlalchemy; password or key-pair authentication."""

    type = "snowflake"
    label = "Snowflake"
    icon = ":material/ac_unit:"
    dialect = "snowflake"
    explain_sql = "EXPLAIN USING JSON {sql}"
    plan_reader = plans.snowflake_json
    driver_modules = ("snowflake.connector",)
    version_query = "SELECT CURRENT_VERSION()"
    database_query = "SELECT CURRENT_DATABASE()"
    system_schemas = frozenset({"information_schema"})
    # no read-only transactions: one statement per call, a timeout and a query tag, the guard
    capabilities = Capabilities(read_only_session=False)
    sql_policy = SQLPolicy(DENIED_FUNCTIONS, allowed_functions=SYSTEM_ALLOWED,
                           table_functions=TABLE_FUNCTIONS,
                           refused_columns={"nextval": SEQUENCES},
                           read_statements=frozenset({"Show", "Describe"}),
                           wrappers=frozenset({"EXPLAIN"}))
    agent_rules = AgentRules(
        "Snowflake", "unquoted identifiers are UPPER case; double quotes make them case-sensitive",
        "date_trunc('month', ts), year(ts), dateadd(day, -30, current_date()), "
        "datediff(day, a, b), to_char(ts, 'YYYY-MM')", "LIMIT n",
        "Use ILIKE; QUALIFY filters window functions.")
    fields = (
        Field("account", "Account", required=True,
              help="Account identifier, e.g. myorg-myaccount or xy12345.eu-west-1"),
        Field("user", "User", required=True,
              help="Use a role with read-only grants (USAGE + SELECT) for Olympus"),
        Field("password", "Password", "password", secret=True,
              help="Leave empty when using a private key"),
        Field("private_key", "Private key (PEM)", "password", secret=True,
              help="Key-pair authentication: the PEM text of the user's private key"),
        Field("private_key_passphrase", "Private key passphrase", "password", secret=True),
        Field("warehouse", "Warehouse", help="Warehouse that runs the queries"),
        Field("database", "Database", required=True),
        Field("schema", "Schema", default="PUBLIC"),
        Field("role", "Role", help="Recommended: a role with read-only grants only"),
        Field("host", "Host (advanced)",
              help="Advanced/testing: override the account host (private link, local emulator)"),
        Field("port", "Port (advanced)", "int", help="Advanced/testing, with Host"),
        Field("protocol", "Protocol (advanced)", "select", default="https",
              options=("https", "http"), help="Advanced/testing: http only for a local emulator"),
    )
    missing_labels = {"password": "Password (or Private key)"}
    target_fields = ("account", "user", "host", "port", "protocol")
    error_rules = (
        ErrorRule(r"incorrect username or password|390100", AuthenticationFailed,
                  "Authentication failed. Check credentials."),
        ErrorRule(r"JWT token is invalid|390144|private key|could not deserialize key",
                  AuthenticationFailed, "Key-pair authentication failed. Check the private key, "
                  "its passphrase and the public key registered for the user."),
        ErrorRule(r"account .*(not found|does not exist)|390201|404 Not Found.*login",
                  ConnectionFailed, "Snowflake account not found.",
                  suggestion="Check the account identifier, e.g. myorg-myaccount."),
        ErrorRule(r"000630|reached its statement or warehouse timeout|000604"
                  r"|cancelled by the client due to a timeout", QueryTimeout,
                  "The query ran past its time limit and was stopped.", title="Query timed out"),
        ErrorRule(r"no active warehouse|000606|warehouse .*(suspended|does not exist)",
                  ConfigError, "No usable warehouse for this query.", title="No warehouse",
                  suggestion="Set a warehouse on the connection, or resume it / grant USAGE."),
        ErrorRule(r"insufficient privileges|003001", PermissionDenied,
                  "The role lacks privileges for this object or operation."),
        ErrorRule(r"250001|could not connect to snowflake|connection refused|250003.*(refused"
                  r"|Max retries)", ConnectionFailed, "The server could not be reached."),
        ErrorRule(r"does not exist or not authorized|002003|002043|001003", SQLSyntaxError,
                  "The database could not run this SQL."),
    )

    @classmethod
    def missing_required(cls, params) -> list[str]:
        missing = super().missing_required(params)
        if not params.get("password") and not params.get("private_key"):
            missing.append("password")
        return missing

    # ---- engine -----------------------------------------------------------------------------
    def url(self):
        from snowflake.sqlalchemy import URL

        parts = {k: self.params[k] for k in ("account", "user", "database", "schema",
                                              "warehouse", "role") if self.params.get(k)}
        if self.params.get("password") and not self.params.get("private_key"):
            parts["password"] = self.params["password"]
        return URL(**parts)

    def engine_options(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "login_timeout": self.connect_timeout,
            "application": "Olympus",
            # Defaults for every statement of the session; fetch() also sends them per statement.
            "session_parameters": {"QUERY_TAG": QUERY_TAG,
                                   "STATEMENT_TIMEOUT_IN_SECONDS": int(self.statement_timeout_s)},
        }
        for key in ("host", "port", "protocol"):
            if self.params.get(key) and (key != "protocol" or self.params.get("host")):
                args[key] = self.params[key]
        if self.params.get("private_key"):
            args["private_key"] = self.private_key_der()
        return {**super().engine_options(), "connect_args": args}

    def private_key_der(self) -> bytes:
        """PEM text (optionally encrypted) -> the DER bytes the connector wants."""
        from cryptography.hazmat.primitives import serialization

        passphrase = self.params.get("private_key_passphrase")
        try:
            key = serialization.load_pem_private_key(
                str(self.params["private_key"]).encode(),
                password=passphrase.encode() if passphrase else None)
        except Exception:  # never echo the key or the passphrase
            raise ConfigError("The private key could not be read.",
                              suggestion="Paste the whole PEM text (-----BEGIN ... PRIVATE KEY-----)"
                                         " and its passphrase if it is encrypted.") from None
        return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    # ---- privileges -------------------------------------------------------------------------
    read_only_role_recipe = grants.SNOWFLAKE_RECIPE

    def privileges(self, cursor) -> tuple[str, ...] | None:
        """SHOW GRANTS TO ROLE (current and inherited roles); None where that isn't supported."""
        try:
            return grants.snowflake(lambda sql: self._show_rows(cursor, sql))
        except Exception:  # emulators (fakesnow) and restricted roles: can't tell
            return None

    # ---- test -------------------------------------------------------------------------------
    def clean_version(self, raw: str) -> str:
        return f"Snowflake {raw.strip()}"

    # ---- catalog ----------------------------------------------------------------------------
    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        db = quote(self.params["database"])
        report("Reading tables", 0.1)
        raw = self._run(cursor, TABLES_SQL.format(db=db))
        seen = {(s, n) for s, n, *_ in raw}
        raw += [v for v in self._run(cursor, VIEWS_SQL.format(db=db)) if (v[0], v[1]) not in seen]
        tables = [((s, n), s, n, "view" if "VIEW" in str(k).upper() else "table", d, r)
                  for s, n, k, r, d in raw if keep(s)]
        report(f"Reading columns of {len(tables)} tables", 0.4)
        columns = [((s, t), c, column_type(ty, ln, p, sc), str(nl).upper() == "YES", d, df)
                   for s, t, c, ty, nl, d, df, ln, p, sc
                   in self._run(cursor, COLUMNS_SQL.format(db=db))]
        report("Reading keys", 0.8)
        return tables, columns, self._keys(cursor, db, sorted({t[1] for t in tables}))

    def learn_functions(self, cursor) -> dict[str, str | None]:
        """User functions and procedures of the connection's database (built-ins that sqlglot
        doesn't know stay refused unless an admin allows them)."""
        db = quote(self.params["database"])
        rows = self._run(cursor, FUNCTIONS_SQL.format(db=db))
        try:
            rows += self._run(cursor, PROCEDURES_SQL.format(db=db))
        except Exception:  # no procedures view (emulators): procedures can't be called from SELECT
            pass
        return rows_to_learned(rows)

    def _run(self, cursor, sql: str) -> list:
        cursor.execute(sql, num_statements=1, _statement_params={"QUERY_TAG": QUERY_TAG})
        return cursor.fetchall()

    def _keys(self, cursor, db: str, schemas: list[str]) -> list[tuple]:
        """SHOW ... KEYS IN DATABASE (one call each); per schema where that is not supported."""
        pks = self._show(cursor, "PRIMARY KEYS", db, schemas)
        fks = self._show(cursor, "IMPORTED KEYS", db, schemas)
        keys: dict[tuple, list] = {}
        for r in pks:
            keys.setdefault(((r["schema_name"], r["table_name"]), "p", None, None),
                            []).append((r["key_sequence"], r["column_name"], None))
        for r in fks:
            if not r.get("pk_table_name") or not r.get("fk_table_name"):
                continue  # malformed rows (seen on emulators): no usable reference
            group = ((r["fk_schema_name"], r["fk_table_name"]), "f", r["pk_schema_name"],
                     r["pk_table_name"], r.get("fk_name"))
            keys.setdefault(group, []).append((r["key_sequence"], r["fk_column_name"],
                                               r["pk_column_name"]))
        out = []
        for (key, kind, ref_schema, ref_table, *_), cols in keys.items():
            cols.sort(key=lambda c: int(c[0]))
            out.append((key, kind, [c[1] for c in cols], ref_schema, ref_table,
                        [c[2] for c in cols] if kind == "f" else None))
        return out

    def _show(self, cursor, what: str, db: str, schemas: list[str]) -> list[dict]:
        try:
            return self._show_rows(cursor, f"SHOW {what} IN DATABASE {db}")
        except Exception:  # not supported (e.g. by emulators): fall back to one call per schema
            pass
        rows: list[dict] = []
        for schema in schemas:
            try:
                rows += self._show_rows(cursor, f"SHOW {what} IN SCHEMA {db}.{quote(schema)}")
            except Exception:  # keys are optional metadata; the catalog still works without
                return rows
        return rows

    def _show_rows(self, cursor, sql: str) -> list[dict]:
        cursor.execute(sql, num_statements=1)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    # ---- read-only execution ----------------------------------------------------------------
    def execute(self, cursor, sql: str, timeout_s: float) -> None:
        """No read-only transactions in Snowflake: one statement, a timeout, a tag, the guard."""
        seconds = max(1, math.ceil(timeout_s))
        cursor.execute(sql, num_statements=1, timeout=seconds,
                       _statement_params=statement_params(cursor, sql, seconds))

    def bind(self, cursor, sql: str, params: list, timeout_s: float) -> None:
        """As execute(), with the values sent as server-side bindings: qmark for this call only
        (the connection's pyformat default would paste escaped values into the text)."""
        seconds = max(1, math.ceil(timeout_s))
        cursor.execute(sql, self.driver_values(params), num_statements=1, timeout=seconds,
                       _force_qmark_paramstyle=True,
                       _statement_params=statement_params(cursor, sql, seconds))

    def canceller(self, cursor):
        """Abort exactly this statement by the request id chosen here, before it is sent: a
        synchronous execute learns its query id (sfqid) only when the query has ended. The abort
        is the driver's own (its timeouts use it); without it, this session's queries."""
        statement = [str(uuid.uuid4()), ""]
        setattr(cursor, STATEMENT, statement)

        def abort() -> None:
            cancel = getattr(cursor.connection, "_cancel_query", None)
            if cancel is not None:
                cancel(statement[1], statement[0])  # POST /queries/v1/abort-request
                return
            session = getattr(cursor.connection, "session_id", None)
            if session is not None:
                cursor.connection.cursor().execute(
                    f"SELECT SYSTEM$CANCEL_ALL_QUERIES({int(session)})")
        return abort

    def read(self, cursor, limit: int | None) -> Fetched:
        """Arrow batches until limit + 1 rows (plain rows when the result came as JSON)."""
        import pyarrow as pa

        description = cursor.description or ()
        db_types = tuple(self.describe_type(d[1]) for d in description)
        try:
            arrow_batches = cursor.fetch_arrow_batches()
        except Exception:  # a JSON-format result (no Arrow): plain rows, limit + 1
            return super().read(cursor, limit)
        batches, cut = collect((b for t in arrow_batches for b in t.to_batches()),
                               limit=limit, max_bytes=self.max_result_bytes)
        if not batches:
            return Fetched(rows_to_arrow([d[0] for d in description], []), cut is not None,
                           db_types, cut)
        table = pa.Table.from_batches(batches)
        table = table if limit is None else table.slice(0, limit)
        return Fetched(table, cut is not None, db_types, cut)

    def describe_type(self, type_code: Any) -> str:
        from snowflake.connector.constants import FIELD_ID_TO_NAME

        return FIELD_ID_TO_NAME.get(type_code, "") if isinstance(type_code, int) else ""


def statement_params(cursor, sql: str, seconds: int) -> dict[str, Any]:
    """Per-statement timeout and tag; under a canceller, the request id it aborts by."""
    params: dict[str, Any] = {"STATEMENT_TIMEOUT_IN_SECONDS": seconds, "QUERY_TAG": QUERY_TAG}
    statement = getattr(cursor, STATEMENT, None)
    if statement is not None:
        statement[1] = sql
        params["requestId"] = statement[0]  # the driver sends it as this request's id
    return params


def quote(identifier: str) -> str:
    """Quote an identifier as Snowflake stores it (unquoted names are upper-case)."""
    name = str(identifier)
    if not (name.startswith('"') and name.endswith('"')) and name.replace("_", "").isalnum():
        name = name.upper()
    return '"' + name.strip('"').replace('"', '""') + '"'


def column_type(data_type: str, length, precision, scale) -> str:
    """NUMBER + 10, 2 -> NUMBER(10,2); TEXT + 50 -> TEXT(50) (the default length stays hidden)."""
    if str(data_type).upper() == "NUMBER" and precision is not None:
        return f"NUMBER({precision},{scale or 0})"
    if length and int(length) < MAX_TEXT:
        return f"{data_type}({length})"
    return str(data_type)
