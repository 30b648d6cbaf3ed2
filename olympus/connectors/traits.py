"""What a database declares about itself (capabilities, SQL policy, agent rules): plain frozen data
that the guard, the agent, the UI, the docs and the contract tests read from the connector class."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Mapping

# ---- why a function is refused (one sentence each, shown to the user) -----------------------
SIDE_EFFECTS = "it has side effects"
SETTINGS = "it changes server or session settings"
FILES = "it reads or writes files or the network from the database server"
RUNS_TEXT = "it runs SQL given as text, which cannot be checked"
SEQUENCES = "it changes a sequence"
LOCKS = "it takes locks that outlive the query"
SLEEPS = "it only waits and ties up a connection"
UNKNOWN_DIALECT = "no connector declares this SQL dialect, so no function call can be checked"


@dataclass(frozen=True)
class Capabilities:
    """What the database itself can have; False means the catalog or session never shows it."""

    row_estimates: bool = True  # the catalog reports approximate row counts
    table_comments: bool = True
    column_comments: bool = True
    primary_keys: bool = True
    foreign_keys: bool = True
    statement_timeout: bool = True  # the server stops a query at the session's timeout
    read_only_session: bool = True  # the server itself refuses writes in our session
    passwords: bool = True  # credentials are checked (embedded files have none)

    def as_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


CAPABILITY_LABELS: Mapping[str, str] = {
    "row_estimates": "Row estimates", "table_comments": "Table comments",
    "column_comments": "Column comments", "primary_keys": "Primary keys",
    "foreign_keys": "Foreign keys", "statement_timeout": "Server-side timeout",
    "read_only_session": "Read-only session", "passwords": "Credentials",
}


@dataclass(frozen=True)
class SQLPolicy:
    """What the guard checks beyond "one SELECT": functions refused (lower-case names; a trailing
    `*` makes a prefix) and whether quoted table names that look like paths read files."""

    denied_functions: Mapping[str, str] = field(default_factory=dict)
    file_path_tables: bool = False
    known: bool = True  # False: a dialect no connector declares; every function call is refused
    # (regex, refusal) checked on the raw text before parsing: syntax the server runs but sqlglot
    # reads as a comment (MySQL's /*! ... */)
    refused_patterns: tuple[tuple[str, str], ...] = ()

    def text_refusal(self, sql: str) -> str | None:
        """Why raw SQL text is refused outright, or None."""
        import re

        return next((why for pattern, why in self.refused_patterns
                     if re.search(pattern, sql, re.IGNORECASE)), None)

    def function_reason(self, name: str) -> str | None:
        """Why a call to `name` is refused, or None when it may run."""
        if not self.known:
            return UNKNOWN_DIALECT
        lowered = name.lower()
        for pattern, reason in self.denied_functions.items():
            if lowered == pattern or (pattern.endswith("*") and lowered.startswith(pattern[:-1])):
                return reason
        return None


UNKNOWN_POLICY = SQLPolicy(known=False)


@dataclass(frozen=True)
class AgentRules:
    """What a model gets wrong per database, stated up front in the prompt (wrong-dialect SQL)."""

    label: str
    quoting: str
    dates: str
    limit: str
    notes: str = ""


GENERIC_RULES = AgentRules("ANSI SQL", "identifiers in double quotes; strings in single quotes",
                           "EXTRACT(YEAR FROM d), CURRENT_DATE", "FETCH FIRST n ROWS ONLY")
