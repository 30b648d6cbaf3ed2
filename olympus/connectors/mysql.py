"""MySQL and MariaDB over PyMySQL: catalog from information_schema in three bulk queries."""

from __future__ import annotations

import re
from typing import Any

from olympus.connectors import plans
from olympus.connectors.base import Connector, Field, Keep, Progress, Undo
from olympus.connectors import privileges as grants
from olympus.connectors.traits import (FILES, LOCKS, RUNS_TEXT, SEQUENCES, SLEEPS, AgentRules,
                                       Capabilities, SQLPolicy)
from olympus.errors import (AuthenticationFailed, ConfigError, ConnectionFailed, ErrorRule,
                            PermissionDenied, QueryTimeout, SQLSyntaxError, SSLRequired, UnsafeSQL)

SSL_MODES = ("disabled", "preferred", "required", "verify_identity")  # MySQL's --ssl-mode names
SYSTEM_SCHEMAS = frozenset({"mysql", "information_schema", "performance_schema", "sys"})
_KINDS = {"BASE TABLE": "table", "SYSTEM VERSIONED": "table", "VIEW": "view"}

# {scope} is the connection's database when one is set, else every non-system schema.
TABLES_SQL = """
SELECT table_schema, table_name, table_type, table_comment, table_rows
FROM information_schema.tables
WHERE {scope} AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')"""

COLUMNS_SQL = """
SELECT table_schema, table_name, column_name, column_type, is_nullable, column_comment,
       column_default
FROM information_schema.columns WHERE {scope}
ORDER BY table_schema, table_name, ordinal_position"""

# Primary keys are named PRIMARY; foreign keys are the rows that reference a table (UNIQUE keys,
# also listed here, are neither).
KEYS_SQL = """
SELECT table_schema, table_name, constraint_name, column_name,
       referenced_table_schema, referenced_table_name, referenced_column_name
FROM information_schema.key_column_usage
WHERE {scope} AND (constraint_name = 'PRIMARY' OR referenced_table_name IS NOT NULL)
ORDER BY table_schema, table_name, constraint_name, ordinal_position"""

# MySQL runs the body of /*! ... */ (MariaDB also /*M! ... */) and honours /*+ SET_VAR(...) */
# hints: text the guard reads as a comment would run unchecked.
_EXECUTABLE_COMMENT = re.compile(r"/\*(!|M!|\+)", re.IGNORECASE)

# The guard reads backslash escapes in strings and "..." as a string: a server running
# NO_BACKSLASH_ESCAPES or ANSI_QUOTES (ANSI implies it) would see other tokens than those checked.
GUARD_SQL_MODE = """TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(CONCAT(',', @@SESSION.sql_mode, ','),
  ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI_QUOTES,', ','), ',ANSI,', ','))"""

DENIED_FUNCTIONS = {
    "load_file": FILES, "sys_exec": RUNS_TEXT, "sys_eval": RUNS_TEXT, "sleep": SLEEPS,
    "benchmark": SLEEPS, "get_lock": LOCKS, "release_lock": LOCKS, "release_all_locks": LOCKS,
    "is_free_lock": LOCKS, "is_used_lock": LOCKS, "master_pos_wait": SLEEPS,
    "source_pos_wait": SLEEPS, "master_gtid_wait": SLEEPS, "wait_for_executed_gtid_set": SLEEPS,
    "wait_until_sql_thread_after_gtids": SLEEPS, "nextval": SEQUENCES, "setval": SEQUENCES,
    "lastval": SEQUENCES,
}

# Built-ins sqlglot doesn't know by name (it knows the rest), all pure: MySQL has no catalog of its
# built-in functions to learn them from.
BUILTIN_FUNCTIONS = frozenset("""
adddate addtime aes_decrypt aes_encrypt bin charset conv crc32 elt export_set field find_in_set
from_days inet_aton inet_ntoa inet6_aton inet6_ntoa json_array json_arrayagg json_contains
json_contains_path json_depth json_length json_merge_patch json_merge_preserve json_quote
json_search json_unquote json_valid json_value make_set makedate microsecond mid now oct
octet_length ord period_add period_diff quote sec_to_time std strcmp subdate subtime sysdate
time_format time_to_sec timediff timestampadd to_seconds unix_timestamp weekday yearweek
from_unixtime get_format last_insert_id found_rows row_count uuid uuid_short
""".split())
# Stored functions may change data (MySQL lets them write): refused unless an admin allows one.
FUNCTIONS_SQL = """SELECT lower(routine_name), 'user' FROM information_schema.routines
WHERE routine_schema NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')"""


class MySQL(Connector):
    """MySQL 5.7.20+/8 and MariaDB 10.3+ (and hosted: RDS, Aurora, Cloud SQL, PlanetScale)."""

    type = "mysql"
    aliases = ("mariadb",)
    label = "MySQL / MariaDB"
    icon = ":material/storage:"
    dialect = "mysql"
    explain_sql = "EXPLAIN {sql}"
    plan_reader = plans.mysql_table
    indexes_sql = ("SELECT table_name, column_name FROM information_schema.statistics "
                   "WHERE table_schema = DATABASE() AND seq_in_index = 1")
    driver_modules = ("pymysql",)
    fence_names = ("mariadb",)
    default_port = 3306
    fields = (
        Field("host", "Host", required=True, help="e.g. db.example.com"),
        Field("port", "Port", "int", default=3306),
        Field("database", "Database",
              help="Optional: without one, every database this user can read is listed"),
        Field("username", "Username", required=True),
        Field("password", "Password", "password", secret=True),
        Field("ssl", "SSL mode", "select", default="preferred", options=SSL_MODES,
              help="Use required (or verify_identity) for hosted databases"),
    )
    version_query = "SELECT VERSION()"
    database_query = "SELECT DATABASE()"
    system_schemas = SYSTEM_SCHEMAS
    # Every capability holds: InnoDB row estimates come from information_schema.tables.table_rows.
    capabilities = Capabilities()
    sql_policy = SQLPolicy(DENIED_FUNCTIONS, builtin_functions=BUILTIN_FUNCTIONS,
                           read_statements=frozenset({"Describe", "Show"}), refused_patterns=((
        _EXECUTABLE_COMMENT.pattern, "Executable comments (/*! ... */, /*M! ... */, /*+ ... */) "
        "are not allowed: MySQL runs their contents, which cannot be checked."),))
    functions_sql = FUNCTIONS_SQL
    agent_rules = AgentRules(
        "MySQL / MariaDB", "identifiers in backticks (`order items`); strings in single quotes",
        "DATE_FORMAT(d, '%Y-%m'), YEAR(d), MONTH(d), CURDATE(), NOW(), "
        "DATE_SUB(CURDATE(), INTERVAL 30 DAY), DATEDIFF(a, b), d >= '2024-01-01'",
        "LIMIT n [OFFSET m]",
        "No FULL OUTER JOIN (UNION a LEFT JOIN and a RIGHT JOIN), no ILIKE (LIKE ignores case "
        "under the usual collations), no NULLS FIRST/LAST, no ::casts (CAST(x AS DECIMAL(12,2)), "
        "CAST(x AS CHAR)); CONCAT(a, b) joins strings (|| means OR); integer division is DIV.")
    error_rules = (
        ErrorRule(r"max_statement_time exceeded|maximum statement execution time exceeded",
                  QueryTimeout, "The query ran past its time limit and was stopped.",
                  title="Query timed out"),
        ErrorRule(r"access denied for user '[^']*'@'[^']*' \(using password", AuthenticationFailed,
                  "Authentication failed. Check credentials."),
        ErrorRule(r"\(1049, .unknown database", ConfigError,
                  "That database does not exist on the server.", title="Unknown database",
                  suggestion="Check the database name."),
        ErrorRule(r"access denied for user .* to database", PermissionDenied,
                  "This user may not open that database, or it does not exist.",
                  title="Unknown database or no access",
                  suggestion="Check the database name, or ask an admin to GRANT SELECT on it."),
        ErrorRule(r"insecure transport|requires? (ssl|secure)", SSLRequired,
                  "The server requires an encrypted (SSL) connection.",
                  suggestion="Set the SSL mode to required for this connection."),
        ErrorRule(r"ssl.*(not support|not enabled)", SSLRequired,
                  "The server does not support SSL but this connection requires it.",
                  suggestion="Set the SSL mode to preferred or disabled for this server."),
        ErrorRule(r"lost connection to (mysql|mariadb) server .*timed out", QueryTimeout,
                  "The server did not answer in time.", title="Connection timed out",
                  suggestion="Check the host, the firewall or VPN, and that the server is up."),
        ErrorRule(r"can't connect to (mysql|mariadb) server(?!.*timed out)|lost connection to"
                  r" (mysql|mariadb) server during (connect|query)", ConnectionFailed,
                  "The server could not be reached."),
        ErrorRule(r"command denied to user", PermissionDenied,
                  "You don't have permission to do that on this database."),
        ErrorRule(r"in a read only transaction", UnsafeSQL,
                  "The database refused a write: this session is read-only."),
        ErrorRule(r"error in your sql syntax|unknown column|doesn't exist|unknown table"
                  r"|unknown function|incorrect parameter count", SQLSyntaxError,
                  "The database could not run this SQL."),
    )

    @classmethod
    def validate(cls, params: dict[str, Any]) -> dict[str, Any]:
        out = super().validate(params)
        if out.get("ssl") not in SSL_MODES:
            raise ConfigError(f"SSL mode must be one of: {', '.join(SSL_MODES)}.", fields=("ssl",))
        return out

    # ---- engine -----------------------------------------------------------------------------
    def url(self):
        from sqlalchemy.engine import URL

        return URL.create("mysql+pymysql", username=self.params.get("username"),
                          password=self.params.get("password"), host=self.params["host"],
                          port=self.params["port"], database=self.params.get("database"),
                          query={"charset": "utf8mb4"})

    def engine_options(self) -> dict[str, Any]:
        # servers close idle connections after wait_timeout (8 h by default, less when hosted)
        return {**super().engine_options(), "pool_recycle": 1800,
                "connect_args": {"connect_timeout": self.connect_timeout,
                                 # a server that accepts the socket but never answers (its
                                 # handshake, or a query the server-side limit missed) can't
                                 # hang a session past the longest statement we allow
                                 "read_timeout": self.statement_timeout_s
                                 * self.catalog_timeout_factor + 5,
                                 **self._ssl_args()}}

    def _ssl_args(self) -> dict[str, Any]:
        """PyMySQL's TLS options for the chosen mode (preferred: TLS when the server offers it)."""
        mode = self.params.get("ssl", "preferred")
        if mode == "disabled":
            return {"ssl_disabled": True}
        if mode == "required":
            return {"ssl": {"check_hostname": False}}  # encrypted, certificate not checked
        if mode == "verify_identity":
            return {"ssl_verify_cert": True, "ssl_verify_identity": True}
        return {}

    def clean_version(self, raw: str) -> str:
        """'10.11.6-MariaDB-0+deb12u1' -> 'MariaDB 10.11.6'; '8.0.36' -> 'MySQL 8.0.36'."""
        number = raw.split("-")[0].strip()
        return f"{'MariaDB' if 'mariadb' in raw.lower() else 'MySQL'} {number}"

    # ---- privileges -------------------------------------------------------------------------
    read_only_role_recipe = grants.MYSQL_RECIPE

    def privileges(self, cursor: Any) -> tuple[str, ...]:
        """SHOW GRANTS: anything beyond SELECT / SHOW VIEW / USAGE (FILE, SUPER, INSERT...)."""
        return grants.mysql(cursor)

    # ---- read-only session ------------------------------------------------------------------
    def begin_readonly(self, cursor: Any, timeout_s: float) -> Undo:
        """Read-only for the whole session (DDL commits implicitly, ending a read-only
        transaction but not this), a server-side timeout, the string rules the guard assumes."""
        if is_mariadb(cursor):
            settings = f"tx_read_only = 1, SESSION max_statement_time = {max(timeout_s, 0.001):.3f}"
        else:  # MySQL 5.7.20+: milliseconds, SELECT statements only (all we run)
            settings = (f"transaction_read_only = 1, "
                        f"SESSION MAX_EXECUTION_TIME = {max(int(timeout_s * 1000), 1)}")
        cursor.execute(f"SET SESSION {settings}, SESSION sql_mode = {GUARD_SQL_MODE}")
        cursor.execute("START TRANSACTION READ ONLY")
        return None

    def execute(self, cursor: Any, sql: str, timeout_s: float) -> None:
        if _EXECUTABLE_COMMENT.search(sql):
            raise UnsafeSQL("Executable comments (/*! ... */, /*M! ... */, /*+ ... */) are not "
                            "allowed: MySQL runs their contents, which cannot be checked.",
                            sql=sql)
        cursor.execute(sql)

    def run(self, cursor: Any, sql: str, *, limit: int | None, timeout_s: float,
            params: list | None = None) -> Fetched:
        """Rows stream from the server (PyMySQL's default cursor would hold the whole result
        before the byte cap could act); a result cut short is stopped on the server."""
        import pymysql.cursors

        stream = cursor.connection.cursor(pymysql.cursors.SSCursor)
        try:
            if params is None:
                self.execute(stream, sql, timeout_s)
            else:
                self.bind(stream, sql, params, timeout_s)
            fetched = self.read(stream, limit)
            if fetched.truncated:
                self._kill_query(stream.connection.thread_id())
            return fetched
        finally:
            try:
                stream.close()  # reads what is left: nothing much once the query is killed
            except Exception:  # the killed query's error packet
                pass

    def run_bound(self, cursor: Any, sql: str, params: list, *, limit: int | None,
                  timeout_s: float) -> Fetched:
        return self.run(cursor, sql, limit=limit, timeout_s=timeout_s, params=params)

    def bind(self, cursor: Any, sql: str, params: list, timeout_s: float) -> None:
        """PyMySQL spells the guard's `?` as `%s` (a literal % as %%) and escapes each value
        with the connection's own rules (NO_BACKSLASH_ESCAPES included): it has no
        server-side prepared statements, so the values are escaped, never formatted by us."""
        from olympus.notebooks.params import pyformat

        if _EXECUTABLE_COMMENT.search(sql):
            raise UnsafeSQL("Executable comments (/*! ... */, /*M! ... */, /*+ ... */) are not "
                            "allowed: MySQL runs their contents, which cannot be checked.",
                            sql=sql)
        cursor.execute(pyformat(sql, self.dialect), tuple(self.driver_values(params)))

    def canceller(self, cursor: Any):
        """KILL QUERY on this session's thread, from another connection."""
        thread_id = cursor.connection.thread_id()
        return lambda: self._kill_query(thread_id)

    def _kill_query(self, thread_id: int) -> None:
        """KILL QUERY from another pooled connection (a user may kill its own queries)."""
        try:
            other = self.engine.raw_connection()
            try:
                other.cursor().execute(f"KILL QUERY {int(thread_id)}")
            finally:
                other.close()
        except Exception:  # best effort: the rows still only drain, never accumulate
            pass

    # ---- catalog ----------------------------------------------------------------------------
    def catalog_rows(self, cursor: Any, report: Progress, keep: Keep) -> tuple[list, list, list]:
        """The connection's database, or with none set every schema this user can see."""
        scope = self._scope()
        report("Reading tables", 0.1)
        cursor.execute(TABLES_SQL.format(scope=scope))
        tables = [(key, *key, _KINDS.get(_text(k), "table"),
                   None if _text(k) == "VIEW" else _text(c) or None, r)
                  for s, n, k, c, r in cursor.fetchall() if keep((key := _key(s, n))[0])]
        report(f"Reading columns of {len(tables)} tables", 0.4)
        cursor.execute(COLUMNS_SQL.format(scope=scope))
        maria = is_mariadb(cursor)
        columns = [(_key(s, t), _text(c), _text(ty), _text(nl) == "YES", _text(d) or None,
                    _default(_text(df), maria)) for s, t, c, ty, nl, d, df in cursor.fetchall()]
        report("Reading keys", 0.8)
        cursor.execute(KEYS_SQL.format(scope=scope))
        return tables, columns, _keys(cursor.fetchall())

    def _scope(self) -> str:
        if self.params.get("database"):
            return "table_schema = DATABASE()"
        quoted = ", ".join(f"'{s}'" for s in sorted(SYSTEM_SCHEMAS))
        return f"table_schema NOT IN ({quoted})"


def is_mariadb(cursor: Any) -> bool:
    """MariaDB announces itself in the handshake version ('5.5.5-10.11.6-MariaDB...')."""
    info = getattr(cursor.connection, "get_server_info", lambda: "")()
    return "mariadb" in str(info).lower()


def _keys(rows: list[tuple]) -> list[tuple]:
    """One row per key column -> one (key, 'p'|'f', cols, ref_schema, ref_table, ref_cols)."""
    grouped: dict[tuple, list] = {}
    for schema, table, name, column, ref_schema, ref_table, ref_column in rows:
        entry = grouped.setdefault((_key(schema, table), name), [
            "p" if name == "PRIMARY" else "f", [], _text(ref_schema), _text(ref_table), []])
        entry[1].append(_text(column))
        if ref_column is not None:
            entry[4].append(_text(ref_column))
    return [(key, kind, cols, rs, rt, rcols or None)
            for (key, _name), (kind, cols, rs, rt, rcols) in grouped.items()]


def _key(schema: Any, table: Any) -> tuple[str, str]:
    return _text(schema), _text(table)


def _default(value: str | None, mariadb: bool) -> str | None:
    """MariaDB writes defaults as expressions ('NULL', quoted literals); NULL means none."""
    return None if value is None or (mariadb and value == "NULL") else value


def _text(value: Any) -> Any:
    """MySQL 8 returns some information_schema columns as bytes (binary collations)."""
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else value
