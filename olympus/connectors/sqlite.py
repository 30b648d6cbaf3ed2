"""SQLite files: read-only URI + query_only, with a progress-handler deadline as timeout."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Any, Iterator

from olympus.connectors import plans
from olympus.connectors.base import Keep, Progress, Undo
from olympus.connectors.files import FileConnector
from olympus.connectors.worker import RemoteCursor
from olympus.connectors.traits import FILES, SIDE_EFFECTS, AgentRules, Capabilities, SQLPolicy
from olympus.errors import ConnectionFailed, ErrorRule

TABLES_SQL = """SELECT name, type FROM sqlite_master
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"""

COLUMNS_SQL = """SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk
FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, p.cid"""

FKS_SQL = """SELECT m.name, f.id, f."table", f."from", f."to"
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"""

DENIED_FUNCTIONS = {
    "load_extension": SIDE_EFFECTS, "readfile": FILES, "writefile": FILES, "edit": FILES,
    "fsdir": FILES, "zipfile": FILES, "fts3_tokenizer": SIDE_EFFECTS,
}
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree", "pragma_table_info",
                             "pragma_foreign_key_list", "pragma_index_list", "generate_series"})
MAX_VALUE_BYTES = 128 * 1024 ** 2
HEAP_LIMIT_BYTES = 1024 ** 3  # SQLite's own allocations, process-wide (shared by every file)
EXACT_COUNT_MAX_TABLES = 200  # small embedded files: exact counts are cheap and more useful


class SQLite(FileConnector):
    """A local SQLite file."""

    type = "sqlite"
    label = "SQLite"
    icon = ":material/description:"
    dialect = "sqlite"
    explain_sql = "EXPLAIN QUERY PLAN {sql}"
    plan_reader = plans.sqlite_query_plan
    version_query = "SELECT 'SQLite ' || sqlite_version()"
    # no COMMENT ON, no statistics unless ANALYZE ran (then small files get exact counts)
    capabilities = Capabilities(table_comments=False, column_comments=False, passwords=False)
    sql_policy = SQLPolicy(DENIED_FUNCTIONS, table_functions=TABLE_FUNCTIONS,
                           wrappers=frozenset({"EXPLAIN"}))
    # SQLite's own functions are pure (the deny-list covers the extension ones); anything an
    # application registered is unknown here and stays refused
    functions_sql = "SELECT lower(name), NULL FROM pragma_function_list WHERE builtin = 1"
    agent_rules = AgentRules(
        "SQLite", "identifiers in double quotes; strings in single quotes",
        "strftime('%Y-%m', d), date(d, '-30 days'), date('now'); dates are usually TEXT "
        "'YYYY-MM-DD'", "LIMIT n", "No date_trunc, no ILIKE (LIKE is case-insensitive for ASCII).")
    file_help = "Path to a .sqlite/.db file"
    error_rules = (
        ErrorRule(r"unable to open database|no such file", ConnectionFailed,
                  "The database file could not be opened.",
                  suggestion="Check the file path and that the file exists."),
    )

    def url(self) -> str:
        return f"sqlite:///file:{self.params['path']}?mode=ro&uri=true"

    def engine_options(self) -> dict:
        from sqlalchemy.pool import NullPool

        return {"poolclass": NullPool}  # a file: nothing to keep open between queries

    @contextmanager
    def local_connection(self, purpose: str) -> Iterator[Any]:
        self.existing_path()  # before the driver guesses (and maybe creates a file)
        with super().local_connection(purpose) as conn:
            yield conn

    def current_database(self, cursor) -> str | None:
        return os.path.basename(self.params["path"])

    def catalog_rows(self, cursor, report: Progress, keep: Keep) -> tuple[list, list, list]:
        if not keep("main"):
            return [], [], []
        report("Reading tables", 0.2)
        names = cursor.execute(TABLES_SQL).fetchall()
        counts = self._row_counts(cursor, [n for n, kind in names if kind == "table"])
        tables = [(n, "main", n, kind, None, counts.get(n)) for n, kind in names]
        report("Reading columns", 0.6)
        rows = cursor.execute(COLUMNS_SQL).fetchall()
        columns = [(t, c, ty or "", not nn and not pk, None, d) for t, c, ty, nn, d, pk in rows]
        pks: dict[str, list] = {}
        for t, c, _ty, _nn, _d, pk in rows:
            if pk:
                pks.setdefault(t, []).append((pk, c))
        keys = [(t, "p", [c for _, c in sorted(cs)], None, None, None) for t, cs in pks.items()]
        keys += self._foreign_keys(cursor.execute(FKS_SQL).fetchall(), pks)
        return tables, columns, keys

    def _foreign_keys(self, rows, pks) -> list[tuple]:
        grouped: dict[tuple, list] = {}
        for table, fk_id, ref, col, ref_col in rows:
            grouped.setdefault((table, fk_id, ref), []).append((col, ref_col))
        out = []
        for (table, _id, ref), pairs in grouped.items():
            ref_cols = [rc for _, rc in pairs]
            if any(rc is None for rc in ref_cols):  # REFERENCES t without columns = its PK
                ref_cols = [c for _, c in sorted(pks.get(ref, []))]
            out.append((table, "f", [c for c, _ in pairs], "main", ref, ref_cols))
        return out

    def _row_counts(self, cursor, tables: list[str]) -> dict[str, int]:
        """sqlite_stat1 when ANALYZE ran; otherwise exact counts for small files."""
        try:
            stats = cursor.execute("SELECT tbl, stat FROM sqlite_stat1 WHERE idx IS NULL "
                                   "OR idx = tbl").fetchall()
            if stats:
                return {t: int(s.split()[0]) for t, s in stats}
        except Exception:  # no sqlite_stat1 table
            pass
        if not tables or len(tables) > EXACT_COUNT_MAX_TABLES:
            return {}
        quoted = [t.replace('"', '""') for t in tables]
        sql = " UNION ALL ".join(f"SELECT ?, count(*) FROM \"{q}\"" for q in quoted)
        return dict(cursor.execute(sql, tables).fetchall())

    # ---- privileges: the file is opened read-only, so these credentials can't write ---------
    privileges_in_session = False

    def privileges(self, cursor) -> tuple[str, ...]:
        return ()

    def interrupt(self, cursor):
        return cursor.connection.interrupt

    def driver_values(self, params: list) -> list:
        """SQLite has no date type: a date binds as ISO text, the way dates are stored."""
        from datetime import date

        return [v.isoformat() if isinstance(v, date) else v for v in params]

    def begin_readonly(self, cursor, timeout_s: float) -> Undo:
        """query_only refuses writes; a progress-handler deadline stands in for a timeout."""
        import sqlite3

        if isinstance(cursor, RemoteCursor):  # the worker's own session does this
            return None
        raw = cursor.connection
        raw.execute("PRAGMA query_only = ON")
        # no single value past the byte cap: a huge printf()/replace() fails at once instead of
        # running inside one C call, where the progress handler can't stop it
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, self.max_result_bytes or MAX_VALUE_BYTES)
        raw.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")
        deadline = time.monotonic() + timeout_s
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
        return lambda: raw.set_progress_handler(None, 0)
