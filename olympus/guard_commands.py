"""Read-only statements sqlglot can only parse as a generic command: EXPLAIN <query> (the query is
guarded like any other), SHOW <setting> and TABLE <name>. Whatever else follows is refused."""

from __future__ import annotations

import re
from typing import Callable

from olympus.connectors.traits import SQLPolicy
from olympus.errors import OlympusError, UnsafeSQL

# EXPLAIN's own options, as PostgreSQL, DuckDB, MySQL, SQLite and Snowflake write them.
_OPTION_WORDS = r"(?:ANALY[SZ]E|VERBOSE|QUERY\s+PLAN|USING\s+(?:TEXT|JSON|TABULAR)|EXTENDED)"
_OPTIONS = re.compile(rf"^\s*(?:\((?P<list>[^()]*)\)|{_OPTION_WORDS}\b|FORMAT\s*=\s*\w+)\s*", re.I)
_LIST_ITEM = re.compile(r"^\s*(ANALY[SZ]E|VERBOSE|COSTS|SETTINGS|BUFFERS|WAL|TIMING|SUMMARY|"
                        r"MEMORY|GENERIC_PLAN|FORMAT|SERIALIZE)(\s+\w+)?\s*$", re.I)
_SETTING = re.compile(r"^\s*(ALL|[A-Za-z_][A-Za-z0-9_.]*)\s*$")
_TABLE = re.compile(r"^\s*(ONLY\s+)?(?P<name>(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w$]*)"
                    r"(\s*\.\s*(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w$]*))*)\s*$", re.I)

Check = Callable[[str], str]  # guards one inner statement (same dialect and policy)


def wrapped(cleaned: str, first: str, policy: SQLPolicy, check: Check, sql: str) -> str | None:
    """The cleaned text if it is an allowed wrapper statement; None if it is no wrapper."""
    word = first.upper()
    if word not in policy.wrappers:
        return None
    try:
        return _wrapped(word, cleaned, check, sql)
    except OlympusError as exc:  # the inner statement's refusal, reported on the whole text
        exc.sql = sql
        raise


def _wrapped(word: str, cleaned: str, check: Check, sql: str) -> str:
    rest = cleaned.lstrip()[len(word):]
    if word == "EXPLAIN":
        check(_explained(rest, sql))
    elif word == "SHOW" and not _SETTING.match(rest):
        raise UnsafeSQL("Only SHOW <setting> is allowed.", sql=sql)
    elif word == "TABLE":
        found = _TABLE.match(rest)
        if not found:
            raise UnsafeSQL("Only TABLE <name> is allowed.", sql=sql)
        check(f"SELECT * FROM {found.group('name')}")
    return cleaned


def _explained(rest: str, sql: str) -> str:
    """The statement EXPLAIN describes, once its own options are taken off."""
    while True:
        found = _OPTIONS.match(rest)
        if not found or not found.group(0).strip():
            return rest
        items = found.group("list")
        if items is not None and not all(_LIST_ITEM.match(i) for i in items.split(",")):
            raise UnsafeSQL("That EXPLAIN option is not allowed.", sql=sql)
        rest = rest[found.end():]
