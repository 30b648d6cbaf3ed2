"""BIRD mini-dev as an Olympus catalog snapshot: one schema per database, comments from the DDL."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

_ROWS = re.compile(r"^-- (\d+) rows, primary key: \((.*)\)$")
_COLUMN = re.compile(r'^("(?P<q>[^"]+)"|(?P<u>\S+))\s+(?P<type>[^,]+),?$')
_NOISE = ("-- Stats:", "-- Foreign keys:")


BIRD_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "bird-mini-dev"


def bird_dir() -> Path:
    """The repository's own copy (CC BY-SA 4.0, see its LICENSE-NOTE.md); clear error if absent."""
    if not (BIRD_DIR / "dev_tables.json").is_file():
        raise FileNotFoundError(f"BIRD mini-dev not found at {BIRD_DIR}: the checkout is incomplete")
    return BIRD_DIR


def _parse_ddl(text: str, schema: str) -> list[dict]:
    """Tables, columns, types, row counts and comments from one annotated DDL file."""
    tables: list[dict] = []
    pending: list[str] = []
    current: dict | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("--"):
            if not line.startswith(_NOISE):
                pending.append(line)
        elif line.upper().startswith("CREATE TABLE"):
            name = line[len("CREATE TABLE") :].strip(" (").strip('"')
            current = _new_table(schema, name, pending)
            tables.append(current)
            pending = []
        elif line.startswith(")"):
            current, pending = None, []
        elif current is not None and (match := _COLUMN.match(line)):
            comment = " ".join(p[3:] for p in pending) or None
            current["columns"].append(_column(match, comment))
            pending = []
    return tables


def _new_table(schema: str, name: str, comments: list[str]) -> dict:
    """A table dict from its name and the comment lines above it."""
    text, rows = [], None
    for line in comments:
        if match := _ROWS.match(line):
            rows = int(match.group(1))
        else:
            text.append(line[3:])
    return {"schema": schema, "name": name, "kind": "table", "description": " ".join(text) or None,
            "columns": [], "primary_key": [], "foreign_keys": [], "row_count_estimate": rows}


def _column(match: re.Match, comment: str | None) -> dict:
    """A column dict from a DDL line."""
    name = match.group("q") or match.group("u")
    return {"name": name, "type": match.group("type").strip(), "nullable": True,
            "description": comment, "default": None}


def _apply_keys(tables: list[dict], spider: dict) -> None:
    """Primary and foreign keys from the Spider-format metadata (exact, not from prose)."""
    by_name = {t["name"].lower(): t for t in tables}
    names = spider["table_names_original"]
    cols = spider["column_names_original"]

    def resolve(index: int) -> tuple[dict, str]:
        table = by_name[names[cols[index][0]].lower()]
        wanted = cols[index][1].lower()
        return table, next(c["name"] for c in table["columns"] if c["name"].lower() == wanted)

    for key in spider["primary_keys"]:
        parts = key if isinstance(key, list) else [key]
        table = resolve(parts[0])[0]
        table["primary_key"] = [resolve(i)[1] for i in parts]
    for child_i, parent_i in spider["foreign_keys"]:
        child, child_col = resolve(child_i)
        parent, parent_col = resolve(parent_i)
        child["foreign_keys"].append({"columns": [child_col], "references": {
            "schema": parent["schema"], "table": parent["name"], "columns": [parent_col]}})


@lru_cache(maxsize=1)
def bird_tables() -> tuple[dict, ...]:
    """All 11 BIRD databases as catalog tables (schema = database name)."""
    root = bird_dir()
    spider = {d["db_id"]: d for d in json.loads((root / "dev_tables.json").read_text())}
    tables: list[dict] = []
    for path in sorted((root / "schemas").glob("*.sql")):
        db_tables = _parse_ddl(path.read_text(), path.stem)
        _apply_keys(db_tables, spider[path.stem])
        tables.extend(db_tables)
    return tuple(tables)


@lru_cache(maxsize=1)
def bird_questions() -> tuple[dict, ...]:
    """The 500 mini-dev questions with their gold tables as 'schema.table' keys."""
    root = bird_dir()
    names = {(t["schema"], t["name"].lower()): t["name"] for t in bird_tables()}
    out = []
    for item in json.loads((root / "mini_dev_postgresql.json").read_text()):
        gold = gold_tables(item["SQL"], item["db_id"], names)
        out.append({**item, "gold": tuple(sorted(gold))})
    return tuple(out)


def gold_tables(sql: str, db: str, names: dict[tuple[str, str], str]) -> set[str]:
    """Tables a gold query reads, scoped to its database; CTE names are not tables."""
    tree = sqlglot.parse_one(sql, read="postgres")
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        key = (db, table.name.lower())
        if table.name.lower() not in ctes and key in names:
            found.add(f"{db}.{names[key]}")
    return found


def merged_snapshot(total: int = 2000, *, seed: int = 7) -> dict:
    """BIRD's 11 databases plus generated distractors, `total` tables in one snapshot."""
    from benchmarks.distractors import distractor_tables, drop_dangling_keys

    real = [json.loads(json.dumps(t)) for t in bird_tables()]
    fake = drop_dangling_keys(distractor_tables(total - len(real), seed=seed))
    return {"tables": real + fake, "introspected_at": "2026-01-01T00:00:00+00:00"}
