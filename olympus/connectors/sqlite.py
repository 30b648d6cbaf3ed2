"""SQLite files: read-only URI + query_only, with a progress-handler deadline as timeout."""

from __future__ import annotations

import os
import time
from typing import Iterable

from olympus.connectors._catalog import assemble
from olympus.connectors.base import FileConnector, Progress
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

EXACT_COUNT_MAX_TABLES = 200  # small embedded files: exact counts are cheap and more useful


class SQLite(FileConnector):
    """A local SQLite file."""

    type = "sqlite"
    label = "SQLite"
    icon = ":material/description:"
    dialect = "sqlite"
    version_query = "SELECT 'SQLite ' || sqlite_version()"
    has_comments = False  # SQLite has no COMMENT ON
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

        return {"poolclass": NullPool, "pool_size": None, "max_overflow": None}

    @property
    def engine(self):
        self.existing_path()
        with self._lock:
            if self._engine is None:
                from sqlalchemy import create_engine
                from sqlalchemy.pool import NullPool

                self._engine = create_engine(self.url(), poolclass=NullPool)
            return self._engine

    def current_database(self, conn) -> str | None:
        return os.path.basename(self.params["path"])

    def read_catalog(self, *, include: Iterable[str] | None = None,
                     exclude: Iterable[str] | None = None,
                     progress: Progress | None = None) -> list[dict]:
        report = progress or (lambda _m, _f: None)
        if not self.keep_schema("main", include, exclude):
            return []
        with self.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
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
        report("Done", 1.0)
        return assemble(tables, columns, keys)

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

    def begin_readonly(self, conn, timeout_s: float) -> None:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + timeout_s
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)

    def end_readonly(self, conn) -> None:
        conn.connection.driver_connection.set_progress_handler(None, 0)
        super().end_readonly(conn)
