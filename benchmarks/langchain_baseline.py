"""The peer's approach: LangChain's SQLDatabase.get_table_info() over every table of the catalog."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text


def _ident(name: str) -> str:
    """SQLite-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def _flat(schema: str, table: str) -> str:
    """SQLite has no schemas: 'schema__table' keeps names unique across databases."""
    return f"{schema}__{table}"


def _ddl(table: dict) -> str:
    """CREATE TABLE with columns, types, primary and foreign keys (SQLite has no comments)."""
    parts = [f"{_ident(c['name'])} {c['type']}" for c in table["columns"]]
    if table.get("primary_key"):
        parts.append(f"PRIMARY KEY ({', '.join(_ident(c) for c in table['primary_key'])})")
    for fk in table.get("foreign_keys", ()):
        ref = fk["references"]
        parts.append(f"FOREIGN KEY ({', '.join(_ident(c) for c in fk['columns'])}) REFERENCES "
                     f"{_ident(_flat(ref['schema'], ref['table']))} ({', '.join(_ident(c) for c in ref['columns'])})")
    return f"CREATE TABLE {_ident(_flat(table['schema'], table['name']))} ({', '.join(parts)})"


def full_schema_prompts(snapshot: dict) -> dict[str, object]:
    """get_table_info() text for all tables, with 0 and with the default 3 sample rows."""
    from langchain_community.utilities import SQLDatabase

    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        for table in snapshot["tables"]:
            conn.execute(text(_ddl(table)))
    started = time.perf_counter()
    no_rows = SQLDatabase(engine, sample_rows_in_table_info=0).get_table_info()
    reflect_s = time.perf_counter() - started
    default = SQLDatabase(engine).get_table_info()
    return {"no_rows": no_rows, "default": default, "reflect_s": reflect_s}
