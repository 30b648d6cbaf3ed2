"""Compact schema text for prompts: one line per table and column, detail levels to save tokens."""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from olympus.catalog_model import Column, Table

# Detail levels, richest first: (table comment chars, column comment chars, all columns?).
LEVELS = ((200, 100, True), (100, 40, True), (60, 0, True), (60, 0, False))
TRIMMED_KEEP = 6  # non-key, non-matching columns kept at the trimmed level
# Reserved in most dialects; sqlglot lists none for some (postgres, snowflake), so quote these too.
COMMON_RESERVED = frozenset(
    "all and any as asc by case check column constraint create default desc distinct else end "
    "except false fetch for foreign from grant group having in intersect into is join limit not "
    "null offset on or order primary references select table then to true union user using when "
    "where window with".split()
)


@lru_cache(maxsize=262144)
def quote(name: str, dialect: str) -> str:
    """An identifier as it must be written in `dialect` (quoted only when needed)."""
    impl = Dialect.get_or_raise(dialect)
    ident = exp.to_identifier(name)
    reserved = getattr(impl.generator_class, "RESERVED_KEYWORDS", ())
    if name.lower() in COMMON_RESERVED or name.lower() in reserved:
        ident.set("quoted", True)
    return impl.quote_identifier(ident, identify=False).sql(dialect=dialect)


def shorten(text: str | None, limit: int) -> str:
    """A comment cut at a word boundary to at most `limit` characters."""
    if not text or limit <= 0:
        return ""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def table_header(table: Table, dialect: str, limit: int) -> str:
    """`schema.table (~rows) -- comment`."""
    name = f"{quote(table.schema, dialect)}.{quote(table.name, dialect)}"
    if table.kind == "view":
        name += " view"
    if table.row_count_estimate is not None:
        name += f" (~{table.row_count_estimate:,} rows)"
    note = shorten(table.description, limit)
    return f"{name} -- {note}" if note else name


def column_line(table: Table, column: Column, fk_targets: dict[str, str], dialect: str,
                limit: int) -> str:
    """`  col TYPE [PK] [FK->t.col] -- comment`."""
    parts = [f"  {quote(column.name, dialect)}", str(column.type or "").lower()]
    if column.name in table.primary_key:
        parts.append("PK")
    if column.name in fk_targets:
        parts.append(f"FK->{fk_targets[column.name]}")
    note = shorten(column.description, limit)
    line = " ".join(p for p in parts if p)
    return f"{line} -- {note}" if note else line


def fk_targets(table: Table, dialect: str) -> dict[str, str]:
    """Column -> 'table.col' (or 'schema.table.col' across schemas) for single-column FKs."""
    out: dict[str, str] = {}
    for col, (schema, ref_table, ref_col) in table.fk_targets().items():
        target = quote(ref_table, dialect)
        if schema != table.schema:
            target = f"{quote(schema, dialect)}.{target}"
        out[col] = f"{target}.{quote(ref_col, dialect)}"
    return out


def render_table(table: Table, level: int, dialect: str, wanted: frozenset[str] = frozenset()) -> str:
    """One table at a detail level; `wanted` columns survive trimming at the last level."""
    table_chars, col_chars, all_columns = LEVELS[level]
    targets = fk_targets(table, dialect)
    columns = tuple(table.columns)
    if not all_columns:
        columns = _trimmed(table, targets, wanted)
    lines = [table_header(table, dialect, table_chars)]
    lines += [column_line(table, c, targets, dialect, col_chars) for c in columns]
    hidden = len(table.columns) - len(columns)
    if hidden:
        lines.append(f"  … {hidden} more columns")
    return "\n".join(lines)


def _trimmed(table: Table, targets: dict[str, str], wanted: frozenset[str]) -> tuple[Column, ...]:
    """Keys and question-matching columns first, then the first few others, in table order."""
    keys = set(table.primary_key) | set(targets) | set(wanted)
    others = [c.name for c in table.columns if c.name not in keys][:TRIMMED_KEEP]
    keep = keys | set(others)
    return tuple(c for c in table.columns if c.name in keep)
