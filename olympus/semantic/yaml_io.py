"""Descriptions and glossary as YAML: reviewable in a pull request, copied between connections.

    version: 1
    connection: demo
    tables:
      - name: main.loans
        description: One row per loan.
        columns:
          - {name: principal, description: Amount lent, in euros.}
    glossary:
      - term: default rate
        definition: Share of loans more than 90 days delinquent.
        synonyms: [NPL ratio]
        sql: AVG(CASE WHEN days_past_due > 90 THEN 1.0 ELSE 0 END)
        scope: connection   # or space: every connection of the space
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from olympus.errors import ConfigError
from olympus.semantic.glossary import GlossaryTerm
from olympus.semantic.layer import Description, Incoming

VERSION = 1
MAX_BYTES = 5_000_000
CONNECTION_SCOPE = "connection"  # placeholder id: the facade puts the importing connection's id


def dump(connection: str, descriptions: Sequence[Description], terms: Sequence[GlossaryTerm]) -> str:
    """The YAML text of one connection's descriptions and the glossary terms that apply to it."""
    import yaml

    tables: dict[str, dict[str, Any]] = {}
    for d in descriptions:
        entry = tables.setdefault(d.table, {"name": d.table})
        if d.column:
            entry.setdefault("columns", []).append({"name": d.column, "description": d.text})
        else:
            entry["description"] = d.text
    doc = {"version": VERSION, "connection": connection,
           "tables": [{"name": t["name"], **({"description": t["description"]} if "description" in t else {}),
                       **({"columns": t["columns"]} if "columns" in t else {})} for t in tables.values()],
           "glossary": [_term(t) for t in terms]}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _term(t: GlossaryTerm) -> dict[str, Any]:
    """One glossary entry, empty fields left out."""
    out: dict[str, Any] = {"term": t.term}
    if t.definition:
        out["definition"] = t.definition
    if t.synonyms:
        out["synonyms"] = list(t.synonyms)
    if t.sql_expression:
        out["sql"] = t.sql_expression
    out["scope"] = CONNECTION_SCOPE if t.connection_id else "space"
    return out


def parse(text: str | bytes) -> tuple[list[Incoming], list[GlossaryTerm]]:
    """Descriptions and terms from the YAML above; a clear error naming the faulty entry."""
    import yaml

    if len(text) > MAX_BYTES:
        raise _bad(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _bad(f"It is not valid YAML: {' '.join(str(exc).split())[:300]}") from None
    if not isinstance(doc, Mapping):
        raise _bad("Expected a mapping with 'tables' and/or 'glossary' at the top.")
    if doc.get("version", VERSION) != VERSION:
        raise _bad(f"Unknown version {doc.get('version')!r}; this Olympus reads version {VERSION}.")
    items = [i for n, t in enumerate(_list(doc, "tables")) for i in _table(t, n)]
    terms = [_glossary(t, n) for n, t in enumerate(_list(doc, "glossary"))]
    return items, terms


def _list(doc: Mapping, key: str) -> list:
    value = doc.get(key) or []
    if not isinstance(value, list):
        raise _bad(f"'{key}' must be a list.")
    return value


def _table(entry: Any, n: int) -> list[Incoming]:
    """One table entry as incoming descriptions: the table's, then its columns'."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise _bad(f"tables[{n}] needs a 'name' (schema.table).")
    schema, _, table = entry["name"].rpartition(".")
    out = [Incoming(schema or None, table, "", str(entry.get("description") or ""))]
    for m, col in enumerate(entry.get("columns") or []):
        if not isinstance(col, Mapping) or not isinstance(col.get("name"), str):
            raise _bad(f"tables[{n}].columns[{m}] needs a 'name'.")
        out.append(Incoming(schema or None, table, col["name"], str(col.get("description") or "")))
    return out


def _glossary(entry: Any, n: int) -> GlossaryTerm:
    """One glossary entry as a term (scope 'connection' marks it for the importing connection)."""
    if not isinstance(entry, Mapping) or not str(entry.get("term") or "").strip():
        raise _bad(f"glossary[{n}] needs a 'term'.")
    synonyms = entry.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [s.strip() for s in synonyms.split(",")]
    if entry.get("scope", "space") not in ("space", CONNECTION_SCOPE):
        raise _bad(f"glossary[{n}].scope must be 'space' or 'connection'.")
    return GlossaryTerm(str(entry["term"]), str(entry.get("definition") or ""),
                        tuple(str(s) for s in synonyms), str(entry.get("sql") or "") or None,
                        CONNECTION_SCOPE if entry.get("scope") == CONNECTION_SCOPE else None)


def _bad(message: str) -> ConfigError:
    return ConfigError(message, title="Can't read the semantic layer file",
                       suggestion="Compare it with the output of `python -m olympus semantic export`.")
