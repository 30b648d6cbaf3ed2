"""Schema page pieces without widgets: the table search, the tables' rows, the
starter SELECT of "Query this table" and the relationship graph's DOT source."""

from __future__ import annotations

from olympus.catalog import Catalog, Table

MAX_NEIGHBOURS = 24
STARTER_LIMIT = 100
STARTER_COLUMNS = 20
# Words reserved in most SQL dialects: such a name is quoted (quoting a plain name is harmless).
RESERVED = frozenset("""all and any array as asc between both by case cast check collate column
constraint create cross current_date current_time current_timestamp current_user default desc
distinct do else end except exists false fetch for foreign from full grant group having ilike in
inner intersect interval into is join lateral leading left like limit natural not null offset on
only or order outer over partition primary qualify range references returning right row rows
select session_user some table then to trailing true union unique user using values when where
window with""".split())


def find(snap: Catalog, text: str, *, schema: str | None = None, column: str = "",
         descriptions: bool = False) -> tuple[tuple[Table, ...], int]:
    """Tables whose name holds `text`: exact names first, then names starting with it, then the
    rest, shorter names first; tables that only mention it in their description follow when
    asked, else are just counted."""
    pool = snap.search("", schema=schema, column=column) if schema or column else snap.tables
    needle = text.strip().lower()
    if not needle:
        return tuple(pool), 0
    ranked: list[tuple[int, int, int, Table]] = []
    described: list[Table] = []
    for i, t in enumerate(pool):
        name, full = t.name.lower(), t.qualified_name.lower()
        if needle in full:
            rank = 0 if needle in (name, full) else 1 if name.startswith(needle) else 2
            ranked.append((rank, len(name), i, t))
        elif needle in (t.description or "").lower():
            described.append(t)
    named = tuple(t for *_, t in sorted(ranked, key=lambda r: r[:3]))
    return (named + tuple(described), 0) if descriptions else (named, len(described))


def list_rows(tables: tuple[Table, ...], *, show_schema: bool, show_rows: bool
              ) -> tuple[list[str], list[list]]:
    """The listed tables (a page at most) as column names and rows of plain values."""
    kinds = any((t.kind or "table") != "table" for t in tables)
    columns = ["table"] + ["kind"] * kinds + ["cols"] + ["rows"] * show_rows + ["description"]
    rows = []
    for t in tables:
        cells = {"table": t.qualified_name if show_schema else t.name, "kind": t.kind or "table",
                 "cols": len(t.columns), "rows": t.row_count_estimate,
                 "description": " ".join((t.description or "").split())}
        rows.append([cells[c] for c in columns])
    return columns, rows


COLUMN_FIELDS = ("column", "type", "key", "references", "nullable", "description", "default")


def column_rows(table: Table) -> list[list]:
    """Its columns with compact key markers (PK, FK) and what a foreign key points at, in
    COLUMN_FIELDS order."""
    pk = set(table.primary_key)
    refs = {col: f"{ref_table}.{ref_col}"
            for col, (_, ref_table, ref_col) in table.fk_targets().items()}
    return [[c.name, c.type or "",
             " ".join(k for k, on in (("PK", c.name in pk), ("FK", c.name in refs)) if on),
             refs.get(c.name, ""), bool(c.nullable), c.description or "",
             "" if c.default is None else str(c.default)]
            for c in table.columns]


def starter_sql(table: Table, dialect: str, limit: int = STARTER_LIMIT) -> str:
    """SELECT its columns (up to STARTER_COLUMNS, else *) FROM it LIMIT n, pretty, in the
    dialect; names are quoted only where the plain form would not read back the same."""
    names = [c.name for c in table.columns][:STARTER_COLUMNS + 1]
    names = names if 0 < len(names) <= STARTER_COLUMNS else []
    for quote in (False, True):
        sql = _select(table, names, dialect, limit, quote=quote)
        if quote or _reads_back(sql, dialect, table, names):
            return sql
    return sql


def _select(table: Table, names: list[str], dialect: str, limit: int, *, quote: bool) -> str:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect

    d = Dialect.get_or_raise(dialect)

    def ident(name: str) -> exp.Identifier:
        plain = (name.isidentifier() and name.isascii() and not d.case_sensitive(name)
                 and name.lower() not in RESERVED)
        return exp.to_identifier(name, quoted=quote or not plain)

    cols = [exp.Column(this=ident(n)) for n in names] or [exp.Star()]
    source = exp.Table(this=ident(table.name), db=ident(table.schema) if table.schema else None)
    return exp.select(*cols).from_(source).limit(int(limit)).sql(dialect=dialect, pretty=True)


def _reads_back(sql: str, dialect: str, table: Table, names: list[str]) -> bool:
    """Whether the SQL parses to exactly these columns of exactly this table (no keyword clash)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:
        return False
    source = tree.find(exp.Table)
    cols = [c.name for c in tree.expressions] if names else ["*"]
    return (cols == (names or ["*"]) and source is not None and source.name == table.name
            and (source.db or "") == (table.schema or ""))


def relationship_dot(snap: Catalog, table: Table) -> str | None:
    """DOT source of the table and its foreign-key neighbours (both directions). Node ids are
    generated (n0, n1...); names only ever appear inside escaped labels (dot_label)."""
    me = (table.schema, table.name)
    edges = [(me, fk.target(table.schema), ", ".join(fk.columns)) for fk in table.foreign_keys]
    edges += [((other.schema, other.name), me, ", ".join(fk.columns))
              for other, fk in snap.references_in(table)]
    edges = edges[:MAX_NEIGHBOURS]
    if not edges:
        return None
    ids = {key: f"n{i}" for i, key in enumerate(sorted({n for edge in edges for n in edge[:2]}))}

    def node(key: tuple[str, str]) -> str:
        label = key[1] if key[0] == me[0] else f"{key[0]}.{key[1]}"
        style = ('style="filled,rounded", fillcolor="#4F46E5", fontcolor="white"' if key == me
                 else 'style="filled,rounded", fillcolor="#EEF0FB", color="#C7CAE8"')
        return f'{ids[key]} [label="{dot_label(label)}", shape=box, {style}];'

    lines = ['digraph {', 'rankdir=LR; bgcolor="transparent";',
             'node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];',
             'edge [color="#8B90B8", fontname="Helvetica", fontsize=9, fontcolor="#5B6079"];']
    lines += [node(n) for n in ids]
    lines += [f'{ids[a]} -> {ids[b]} [label="{dot_label(cols)}"];' for a, b, cols in edges]
    return "\n".join(lines + ["}"])


def dot_label(text: str) -> str:
    """Text for inside a DOT double-quoted label, shown exactly as written.

    Graphviz's lexer only knows the escape \\" (a name ending in a backslash would swallow the
    closing quote), so the string holds no backslash or quote at all: both become HTML entities,
    which Graphviz decodes before its own escapes (\\n, \\N...), hence a backslash is &#92;&#92;.
    Control characters become spaces; <, > and & are entities too."""
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in str(text))
    return (text.replace("&", "&amp;").replace("\\", "&#92;&#92;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))
