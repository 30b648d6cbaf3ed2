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
UNKNOWN_FUNCTION = ("it is not a function this database is known to run safely (an admin can "
                    "allow it for this connection)")
TABLE_FUNCTION = "only known table functions may be read from (an admin can allow it)"
VOLATILE = "the database marks it VOLATILE: it may change data or state"
PROCEDURE = "it is a procedure"
USER_CODE = "it is user code the database can't vouch for (it may change data)"


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
    """What the guard checks beyond "one SELECT". A call runs only when it is known to be safe:
    allowed by the class or an admin, learned as safe from the database itself, or a built-in
    sqlglot knows; a deny-list (lower-case names, trailing `*` = prefix) stays as a second layer.
    Also: whether quoted table names that look like paths read files."""

    denied_functions: Mapping[str, str] = field(default_factory=dict)
    file_path_tables: bool = False
    known: bool = True  # False: a dialect no connector declares; every function call is refused
    # (regex, refusal) checked on the raw text before parsing: syntax the server runs but sqlglot
    # reads as a comment (MySQL's /*! ... */)
    refused_patterns: tuple[tuple[str, str], ...] = ()
    allowed_functions: frozenset[str] = frozenset()  # safe even where the database says volatile
    builtin_functions: frozenset[str] = frozenset()  # safe built-ins sqlglot doesn't know
    table_functions: frozenset[str] | None = None  # None: FROM f(...) needs no allow-list
    refused_columns: Mapping[str, str] = field(default_factory=dict)  # seq.nextval is a call
    learned: Mapping[str, str | None] = field(default_factory=dict)  # name -> refusal or None
    admin_allowed: frozenset[str] = frozenset()  # allowed for one connection by an admin
    # Read-only statements besides SELECT: sqlglot root classes (Values, Describe, Show,
    # Summarize, Pivot) and leading words whose rest is checked on its own: EXPLAIN <select>,
    # SHOW <setting>, TABLE <name> (see olympus.guard_commands).
    read_statements: frozenset[str] = frozenset()
    wrappers: frozenset[str] = frozenset()
    # (regex, replacement) applied to a copy that is parsed and checked (the text that runs is
    # the user's): syntax sqlglot can't read yet, e.g. BigQuery's APPENDS(TABLE t, ...)
    parse_rewrites: tuple[tuple[str, str], ...] = ()

    def call_reason(self, names: tuple[str, ...] | list[str], *, builtin: bool,
                    table: bool) -> str | None:
        """Why a call known by `names` is refused (None: it may run). builtin: sqlglot knows the
        function; table: it is read from (FROM f(...))."""
        lowered = [n.lower() for n in names]
        for name in lowered:
            reason = None if name in self.allowed_functions else self.function_reason(name)
            if reason:
                return reason
        if any(n in self.admin_allowed for n in lowered):
            return None
        if table and self.table_functions is not None:
            return None if any(n in self.table_functions for n in lowered) else TABLE_FUNCTION
        if any(n in self.allowed_functions for n in lowered):
            return None
        learned = [self.learned[n] for n in lowered if n in self.learned]
        if learned:
            return next((r for r in learned if r), None)
        if builtin or any(n in self.builtin_functions for n in lowered):
            return None
        return UNKNOWN_FUNCTION

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
