"""Read-only SQL guard: one SELECT-like statement, no writes, no side effects, per dialect."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Iterator

from olympus.connectors.traits import SQLPolicy
from olympus.errors import SQLSyntaxError, UnsafeSQL
from olympus.guard_commands import wrapped
from olympus.memo import Memo

# sqlglot warns on every statement it can only parse as a command; refusals are ours to report.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# sqlglot node classes that are whole statements; writes get the "Writes are not allowed" wording.
WRITE_NODES = ("Insert", "Update", "Delete", "Merge", "Copy", "Create", "Drop", "Alter",
               "AlterSession", "TruncateTable", "Grant", "Revoke", "Export", "LoadData", "Put",
               "Get", "Attach", "Detach", "Install", "Comment", "Refresh", "Cache", "Uncache",
               "Analyze", "Undrop", "SwapTable", "Kill", "NextValueFor", "MultitableInserts",
               "ConditionalInsert", "LockingStatement")
OTHER_STATEMENTS = ("Command", "Set", "Use", "Pragma", "Transaction", "Commit", "Rollback",
                    "Declare", "Execute", "ExecuteSql", "Describe", "Show", "Summarize",
                    "Block", "IfBlock", "WhileBlock", "StoredProcedure", "EndStatement")
# Every other class in sqlglot's DDL/DML modules counts as a statement too (so new sqlglot
# statements are refused by default), except these helpers that also appear inside SELECTs.
_STATEMENT_MODULES = ("sqlglot.expressions.ddl", "sqlglot.expressions.dml")
_HARMLESS = frozenset({"CharacterSet", "Comprehension", "Heredoc"})
NODE_NAMES = {"TruncateTable": "TRUNCATE", "NextValueFor": "NEXT VALUE FOR",
              "LoadData": "LOAD DATA", "AlterSession": "ALTER SESSION", "Put": "PUT",
              "MultitableInserts": "INSERT", "ConditionalInsert": "INSERT"}
WRITE_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "CREATE", "ALTER",
                         "TRUNCATE", "GRANT", "REVOKE", "COPY"})
READ_STARTS = frozenset({"SELECT", "WITH", "(", "FROM"})
GENERIC_FENCES = frozenset({"", "sql", "ansi", "text"})  # plus every connector's names

# A quoted table name DuckDB would read as a file: a URL or a data-file extension (its replacement
# scans go by these; external access is off besides); "my.table", "a:b", "why?", "a/b" are names.
_FILE_LIKE = re.compile(r"://|\.(csv|tsv|txt|json|jsonl|ndjson|parquet|arrow|feather|"
                        r"xlsx?|db|duckdb|sqlite3?|avro|orc|gz|zst|bz2|xz|lz4)\b", re.I)
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: .*?>")
_FENCE = re.compile(r"^[ \t]*```(.*?)(?:```|\Z)", re.S | re.M)
# texts that passed, per (sql, dialect, policy object): a re-run (notebooks, schedules, the same
# question) skips the parse; bounded in entries and in the size of a remembered text
MEMO_ENTRIES, MEMO_MAX_CHARS = 1024, 20_000
_PASSED = Memo(MEMO_ENTRIES)


# ---- public API ---------------------------------------------------------------------------
def check_sql(sql: str, dialect: str, *, policy: SQLPolicy | None = None) -> str:
    """The user's own text, cleaned, if it is one read-only statement; else a one-line refusal.
    `dialect` is a sqlglot dialect (or a connection type); the policy comes from the connector
    class that declares it, and a dialect nobody declares may call no function at all.
    A text that passed against this very policy object passes again without a parse (the check
    is a pure function of the three); refusals are never remembered."""
    if len(sql) > MEMO_MAX_CHARS:
        return _check_sql(sql, dialect, policy=policy)
    # the entry holds the policy object, so while it is remembered its id names only it
    return _PASSED.get((sql, str(dialect), id(policy)), lambda: (
        policy, _check_sql(sql, dialect, policy=policy)))[1]


def _check_sql(sql: str, dialect: str, *, policy: SQLPolicy | None = None) -> str:
    from olympus.connectors import dialect_class, sql_policy

    cls = dialect_class(dialect)
    dialect = cls.dialect if cls is not None else str(dialect).lower()
    policy = policy if policy is not None else sql_policy(dialect)
    refusal = policy.text_refusal(sql)
    if refusal:
        raise UnsafeSQL(refusal, sql=sql)
    cleaned = clean_sql(sql, dialect)
    tokens = _tokenize(cleaned, dialect, sql)
    _check_statement_count(tokens, sql)
    _check_unicode_names(tokens, sql)
    command = wrapped(cleaned, _first_word(tokens), policy,
                      lambda inner: _check_sql(inner, dialect, policy=policy), sql)
    if command is not None:
        return command
    tree = _parse(_rewritten(cleaned, policy), dialect, tokens, sql)
    _check_root(tree, tokens, sql, policy)
    for reason in _violations(tree, policy):
        raise UnsafeSQL(reason, sql=sql)
    return cleaned


def strip_fences(text: str) -> str:
    """SQL inside markdown fences (LLMs add them); several blocks are joined so none hides."""
    blocks = [_unfence(m.group(1)) for m in _FENCE.finditer(text or "")]
    if not blocks:
        return (text or "").strip()
    return "\n;\n".join(b.strip() for b in blocks).strip()


def clean_sql(sql: str, dialect: str) -> str:
    """Fences, outer whitespace, stray semicolons and trailing comments off; the rest verbatim."""
    # Trailing comments go too: a driver that wraps the query (ADBC: `COPY (...) TO STDOUT`)
    # would otherwise find its closing parenthesis commented out.
    text = strip_fences(sql)
    raw = _tokenize(text, dialect, sql)
    tokens = [t for t in raw if not _is_semicolon(t)]
    if not tokens:
        raise SQLSyntaxError("There is no SQL to run: the input is empty.", sql=sql,
                             suggestion="Type a SELECT query, or ask a question in words.")
    start = tokens[0].start if _is_semicolon(raw[0]) else 0  # keep leading comments
    return text[start:tokens[-1].end + 1]


# ---- steps --------------------------------------------------------------------------------
def _unfence(block: str) -> str:
    first, newline, rest = block.partition("\n")
    return rest if newline and first.strip().lower() in fence_languages() else block


@cache
def fence_languages() -> frozenset[str]:
    """```lang names that mark SQL: generic ones plus each connector's type, dialect, aliases."""
    from olympus.connectors import all_classes

    names = {n for c in all_classes() for n in (c.type, c.dialect, *c.aliases, *c.fence_names)}
    return GENERIC_FENCES | frozenset(n.lower() for n in names)


def _tokenize(text: str, dialect: str, original: str) -> list:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import TokenError

    try:
        engine = Dialect.get_or_raise(dialect)
    except ValueError:
        raise UnsafeSQL(f"SQL for {dialect!r} can't be checked: no database here speaks that "
                        "dialect.", sql=original) from None
    try:
        return engine.tokenize(text)
    except TokenError as exc:
        near = str(exc).splitlines()[0].removeprefix("Error tokenizing ").strip()
        raise SQLSyntaxError(f"The SQL could not be read: a quote or comment may be left open "
                             f"(read up to {near}).", sql=original) from None


def _is_semicolon(token) -> bool:
    return token.token_type.name == "SEMICOLON"


def _check_statement_count(tokens: list, sql: str) -> None:
    """Count statements from the tokens, so a second one is found even if it can't be parsed."""
    count, current = 0, 0
    for token in [*tokens, None]:
        if token is None or _is_semicolon(token):
            count, current = count + (current > 0), 0
        else:
            current += 1
    if count > 1:
        raise UnsafeSQL(f"Only one statement is allowed; found {count}.", sql=sql)


def _check_unicode_names(tokens: list, sql: str) -> None:
    """PostgreSQL's U&"..." names are decoded by the server but not by sqlglot: they could hide."""
    for a, b, c in zip(tokens, tokens[1:], tokens[2:]):
        if (a.text.upper() == "U" and b.token_type.name == "AMP" and a.end + 1 == b.start
                and c.token_type.name == "IDENTIFIER" and b.end + 1 == c.start):
            raise UnsafeSQL('Unicode-escaped names (U&"...") are not allowed: they can disguise '
                            "a function or table name.", sql=sql)


def _parse(cleaned: str, dialect: str, tokens: list, sql: str):
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [t for t in sqlglot.parse(cleaned, read=dialect)
                 if t is not None and not isinstance(t, exp.Semicolon)]  # comment-only leftovers
    except (ParseError, TokenError) as exc:
        _refuse_unparsed(tokens, sql)
        raise SQLSyntaxError(_parse_message(exc, dialect), sql=sql) from None
    if len(trees) != 1:  # the token count already said one; never trust a disagreement
        raise UnsafeSQL(f"Only one statement is allowed; found {len(trees)}.", sql=sql)
    return trees[0]


def _rewritten(cleaned: str, policy: SQLPolicy) -> str:
    """The copy sqlglot parses: the policy's rewrites for syntax it can't read yet."""
    for pattern, replacement in policy.parse_rewrites:
        cleaned = re.sub(pattern, replacement, cleaned, flags=re.IGNORECASE)
    return cleaned


def _refuse_unparsed(tokens: list, sql: str) -> None:
    """An unparseable statement that starts like a command, or holds a write, is refused as such."""
    first = _first_word(tokens)
    if first not in READ_STARTS:
        raise UnsafeSQL(f"Only SELECT queries are allowed; found {first}.", sql=sql)
    for prev, token in zip([None, *tokens], tokens):
        word = token.text.upper()
        if token.token_type.name in ("STRING", "IDENTIFIER") or word not in WRITE_WORDS:
            continue
        if word == "UPDATE" and prev is not None and prev.text.upper() in ("FOR", "KEY"):
            continue  # FOR [NO KEY] UPDATE is a lock, reported once the SQL parses
        raise UnsafeSQL(f"Writes are not allowed: found {word}.", sql=sql)
    if any(t.text.upper() == "INTO" and t.token_type.name not in ("STRING", "IDENTIFIER")
           for t in tokens):  # MySQL's SELECT ... INTO OUTFILE / DUMPFILE, which sqlglot can't parse
        raise UnsafeSQL("SELECT INTO is not allowed: it writes a table or a file.", sql=sql)


def _parse_message(exc: Exception, dialect: str) -> str:
    errors = getattr(exc, "errors", None) or [{}]
    info = errors[0]
    what = str(info.get("description") or str(exc).splitlines()[0]).rstrip(".")
    what = _TOKEN_REPR.sub(r"'\1'", what)
    near = (info.get("highlight") or "").strip()
    where = f" near '{near}'" if near and f"'{near}'" not in what else ""
    if info.get("line"):
        where += f" (line {info['line']}, column {info.get('col')})"
    return f"The SQL could not be parsed as {dialect} SQL: {what}{where}."


def _first_word(tokens: list) -> str:
    return next((t.text.upper() for t in tokens if t.text != "("), "(")


def _check_root(tree, tokens: list, sql: str, policy: SQLPolicy) -> None:
    from sqlglot import exp

    root = tree
    while isinstance(root, exp.Subquery):
        root = root.this
    if isinstance(root, (exp.Select, exp.SetOperation)) or \
            type(root).__name__ in policy.read_statements:
        return
    if type(root).__name__ in WRITE_NODES:
        raise UnsafeSQL(f"Writes are not allowed: found {_node_name(root)}.", sql=sql)
    raise UnsafeSQL(f"Only SELECT queries are allowed; found {_first_word(tokens)}.", sql=sql)


def _violations(tree, policy: SQLPolicy) -> Iterator[str]:
    """Every reason to refuse, walking the whole tree (CTEs and subqueries included)."""
    from sqlglot import exp

    statements, writes = _statement_classes()
    for node in tree.walk():
        if node is tree and type(node).__name__ in policy.read_statements:
            if isinstance(node.this, exp.Literal) and node.this.is_string:  # SUMMARIZE 'x.csv'
                yield f"Reading files is not allowed: '{node.this.name}' is a file, not a table."
            continue  # DESCRIBE / SHOW / SUMMARIZE / VALUES / PIVOT the database declares read-only
        if isinstance(node, statements):
            lead = "Writes are not allowed:" if isinstance(node, writes) else \
                "Only SELECT queries are allowed;"
            yield f"{lead} found {_node_name(node)}{_where(node)}."
        elif isinstance(node, exp.Into):
            yield "SELECT INTO is not allowed: it creates a table."
        elif isinstance(node, exp.Lock):
            yield "Locking clauses (FOR UPDATE / FOR SHARE) are not allowed: they block others."
        elif isinstance(node, (exp.Func, exp.DynamicIdentifier)):
            yield from _function_violations(node, policy)
        elif isinstance(node, exp.Table) and policy.file_path_tables:
            yield from _path_violations(node)
        elif isinstance(node, exp.Column) and policy.refused_columns:
            yield from _column_violations(node, policy)


def _function_violations(node, policy: SQLPolicy) -> Iterator[str]:
    from sqlglot import exp

    if isinstance(node, exp.DynamicIdentifier) and not isinstance(node.this, exp.Literal):
        yield "Dynamic names (IDENTIFIER(...)) are not allowed: they cannot be checked."
        return
    names = _function_names(node)
    builtin = not isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc, exp.DynamicIdentifier))
    table = isinstance(node.parent, (exp.Table, exp.TableFromRows))
    reason = policy.call_reason(names, builtin=builtin, table=table)
    if reason:
        yield f"Function {names[0]} is not allowed: {reason}."


def _column_violations(node, policy: SQLPolicy) -> Iterator[str]:
    """`seq.nextval` reads like a column but calls a sequence (Snowflake)."""
    reason = policy.refused_columns.get(node.name.lower()) if node.table else None
    if reason:
        yield f"{node.sql()} is not allowed: {reason}."


def _function_names(node) -> list[str]:
    """The names a call can be known by: as written (unknown functions) and sqlglot's own."""
    from sqlglot import exp

    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc, exp.DynamicIdentifier)):
        return [node.name]
    return list(dict.fromkeys(n.lower() for n in (node.sql_name(), *type(node).sql_names())))


def _path_violations(node) -> Iterator[str]:
    from sqlglot import exp

    ident = node.this
    if isinstance(ident, exp.Identifier) and ident.quoted and _FILE_LIKE.search(ident.name):
        yield f"Reading files is not allowed: table '{ident.name}' looks like a file path."


def _where(node) -> str:
    from sqlglot import exp

    outer = node.find_ancestor(exp.CTE, exp.Subquery)
    return "" if outer is None else " inside a CTE" if isinstance(outer, exp.CTE) else \
        " inside a subquery"


def _node_name(node) -> str:
    from sqlglot import exp

    name = type(node).__name__
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, (exp.Create, exp.Drop)) and node.args.get("kind"):
        return f"{name.upper()} {str(node.args['kind']).upper()}"
    return NODE_NAMES.get(name, name.upper())


@cache
def _statement_classes() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(all statement classes, write classes); sqlglot's DDL/DML modules count wholesale."""
    from sqlglot import exp

    writes = tuple(c for n in WRITE_NODES if (c := getattr(exp, n, None)) is not None)
    named = writes + tuple(c for n in OTHER_STATEMENTS if (c := getattr(exp, n, None)))
    module = tuple(c for c in vars(exp).values() if isinstance(c, type)
                   and c.__module__ in _STATEMENT_MODULES and c.__name__ not in _HARMLESS)
    return tuple(dict.fromkeys(named + module)), writes
