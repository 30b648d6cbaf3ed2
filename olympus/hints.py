"""\"Did you mean credit_score_band?\": an unknown table or column named in a database error is
matched against the cached catalog (never a new catalog read)."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olympus.catalog import Catalog

# The unknown name, as each engine words it (first group).
UNKNOWN_NAME = re.compile("|".join((
    r'column "?(?:\w+\.)*"?(?P<pg_col>[\w$]+)"? does not exist',  # PostgreSQL / Redshift
    r'relation "(?:\w+\.)*(?P<pg_rel>[^"]+)" does not exist',
    r'Referenced column "(?P<duck_col>[^"]+)" not found',  # DuckDB
    r'Table with name (?P<duck_tab>[^\s!]+) does not exist',
    r"no such (?:column|table): (?:\w+\.)*(?P<lite>[\w$]+)",  # SQLite
    r"Unknown column '(?:[^'.]+\.)*(?P<my_col>[^'.]+)'",  # MySQL / MariaDB
    r"Table '(?:[^'.]+\.)*(?P<my_tab>[^'.]+)' doesn't exist",
    r"invalid identifier '(?:[^'.]+\.)*(?P<sf>[^'.]+)'",  # Snowflake
    r"Unrecognized name: (?P<bq>[\w$]+)",  # BigQuery
    r"Not found: Table [^:\s]+:(?:[\w-]+\.)*(?P<bq_tab>[\w$]+)",
)), re.IGNORECASE)


def unknown_name(message: str) -> str | None:
    """The table or column an error says doesn't exist, or None."""
    found = UNKNOWN_NAME.search(message or "")
    if found is None:
        return None
    return next(v for v in found.groupdict().values() if v)


def did_you_mean(message: str, catalog: "Catalog | None") -> str | None:
    """One sentence naming up to three close table or column names, or None."""
    name = unknown_name(message)
    if not name or catalog is None:
        return None
    names: dict[str, str] = {}
    for table in catalog.tables:
        names.setdefault(table.name.lower(), table.name)
        for column in table.columns:
            names.setdefault(column.name.lower(), column.name)
    close = difflib.get_close_matches(name.lower(), list(names), n=3, cutoff=0.6)
    if not close:
        return None
    shown = " or ".join(f"`{names[c]}`" for c in close)
    return f"Did you mean {shown}?"
