"""BIRD mini-dev for the guard tests: where it lives, its gold SQL, its schemas in PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

_SIMPLE_QUOTED = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')
_PRIMARY_KEY = re.compile(r"primary key: \((.+)\)")
_CREATE = re.compile(r'CREATE TABLE "?([^"(\s]+)"? \(')


BIRD_DIR = Path(__file__).resolve().parent / "data" / "bird-mini-dev"


def bird_dir() -> Path:
    """The in-repo copy (CC BY-SA 4.0, see its LICENSE-NOTE.md): a fresh clone tests itself."""
    return BIRD_DIR


def load_gold() -> list[dict]:
    """The 500 questions with their PostgreSQL gold SQL (a missing file is a broken checkout)."""
    return json.loads((bird_dir() / "mini_dev_postgresql.json").read_text())


def schema_files() -> list[Path]:
    return sorted((bird_dir() / "schemas").glob("*.sql"))


def postgres_ddl(text: str) -> str:
    """The dataset's DDL made to match its own gold SQL on PostgreSQL.

    - Primary keys are only written in comments ("-- 9986 rows, primary key: (CDSCode)"); they
      are declared, so GROUP BY a key may select the row's other columns, as PostgreSQL allows.
    - Keyword-like names are quoted in display case ("Date"), but the gold SQL writes them
      unquoted (folded to date), as in BIRD's own PostgreSQL databases: fold those to lower case.
    """
    lines, keys, pending = [], [], None
    for line in text.splitlines():
        if line.startswith("--"):
            found = _PRIMARY_KEY.search(line)
            pending = found.group(1) if found else pending
            lines.append(line)
            continue
        table = _CREATE.match(line)
        if table and pending:
            keys.append((table.group(1), pending))
            pending = None
        lines.append(_SIMPLE_QUOTED.sub(lambda m: f'"{m.group(1).lower()}"', line))
    for table, columns in keys:
        cols = ", ".join(_column(c.strip()) for c in columns.split(","))
        lines.append(f'ALTER TABLE "{table.lower()}" ADD PRIMARY KEY ({cols});')
    return "\n".join(lines)


def _column(name: str) -> str:
    return f'"{name.lower()}"' if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f'"{name}"'


def build_schemas(admin_url: str) -> list[str]:
    """Each BIRD database as its own schema (table names repeat across them); returns the names."""
    import psycopg

    names = []
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for path in schema_files():
            name = path.stem
            conn.execute(f'CREATE SCHEMA "{name}"')
            conn.execute(f'SET search_path = "{name}"')
            # `datetime` is not a PostgreSQL type; the dataset means a timestamp.
            conn.execute(f'CREATE DOMAIN "{name}".datetime AS timestamp')
            conn.execute(postgres_ddl(path.read_text()))
            names.append(name)
    return names


def with_database(url: str, database: str, **query: str) -> str:
    """The same server URL pointing at another database (and extra libpq options)."""
    return make_url(url).set(database=database).update_query_dict(query).render_as_string(
        hide_password=False)


def create_database(admin_url: str, name: str, *, drop: bool = False) -> None:
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            verb = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' if drop else \
                f'CREATE DATABASE "{name}"'
            conn.exec_driver_sql(verb)
    finally:
        engine.dispose()
