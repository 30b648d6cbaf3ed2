"""Verified queries in the store: save, list, find similar ones (few-shot examples), re-check
against a refreshed catalog (stale with the reason), review."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Sequence

import sqlalchemy as sa

from olympus.semantic.verified_tables import verified_queries as vq
from olympus.store_db import now, write

if TYPE_CHECKING:
    from olympus.catalog import Catalog
    from olympus.store import Store

TABLE_WEIGHT = 0.5  # share of a match that table overlap with the question's schema adds
MAX_QUESTION, MAX_SQL = 2_000, 20_000


@dataclass(frozen=True)
class VerifiedQuery:
    id: str
    space: str
    connection_id: str
    question: str
    sql: str
    tables: tuple[str, ...]  # qualified tables it reads ("main.loans"), its lineage
    columns: tuple[str, ...]  # "main.loans.principal", "main.x.*"
    source: str
    created_by: str | None
    created_at: datetime
    verified_by: str | None
    stale: bool = False
    stale_reason: str | None = None
    checked_at: datetime | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        """Columns, then tables read for no column: the query log's shape."""
        covered = {c.rsplit(".", 1)[0] for c in self.columns}
        return self.columns + tuple(t for t in self.tables if t not in covered)

    @classmethod
    def of(cls, row) -> VerifiedQuery:
        values = row._asdict()
        reads = json.loads(values.pop("reads_json") or "{}")
        values["tables"] = tuple(reads.get("tables") or ())
        values["columns"] = tuple(reads.get("columns") or ())
        return cls(**values)


def reads_json(tables: Sequence[str], columns: Sequence[str]) -> str:
    return json.dumps({"tables": list(tables), "columns": list(columns)})


def add(store: "Store", *, space: str, connection_id: str, question: str, sql: str,
        tables: Sequence[str], columns: Sequence[str], source: str,
        user: str | None) -> VerifiedQuery:
    values = dict(id=str(uuid.uuid4()), space=space, connection_id=connection_id,
                  question=question, sql=sql, reads_json=reads_json(tables, columns),
                  source=source,
                  created_by=user, created_at=now(), verified_by=user, stale=False,
                  stale_reason=None, checked_at=now())
    with write(store.engine) as conn:
        conn.execute(vq.insert(), values)
    return get(store, space, values["id"])


def listing(store: "Store", space: str, *, connection_ids: Iterable[str] | None = None,
            stale: bool | None = None) -> list[VerifiedQuery]:
    """The space's verified queries (newest first), optionally of some connections / staleness."""
    query = sa.select(vq).where(vq.c.space == space)
    if connection_ids is not None:
        query = query.where(vq.c.connection_id.in_(list(connection_ids)))
    if stale is not None:
        query = query.where(vq.c.stale == stale)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(vq.c.created_at.desc(), vq.c.id)).all()
    return [VerifiedQuery.of(r) for r in rows]


def get(store: "Store", space: str, query_id: str) -> VerifiedQuery:
    from olympus.store import NotFound

    with store.engine.connect() as conn:
        row = conn.execute(sa.select(vq).where(vq.c.space == space,
                                               vq.c.id == str(query_id))).first()
    if row is None:
        raise NotFound(f"No verified query with id {query_id!r} in this space.",
                       title="No such verified query",
                       suggestion="List them with `python -m olympus verified list`.")
    return VerifiedQuery.of(row)


def update(store: "Store", space: str, query_id: str, **values) -> None:
    with write(store.engine) as conn:
        conn.execute(vq.update().where(vq.c.space == space, vq.c.id == str(query_id))
                     .values(**values))


def delete(store: "Store", space: str, query_id: str) -> None:
    with write(store.engine) as conn:
        conn.execute(vq.delete().where(vq.c.space == space, vq.c.id == str(query_id)))


def stale_reason(query: VerifiedQuery, *, dialect: str, catalog: "Catalog") -> str | None:
    """Why a verified query no longer fits the catalog (a table or column it reads is gone), or
    None. Qualifies the SQL against the catalog with sqlglot, and checks the stored lineage."""
    from olympus.semantic.lineage import lineage

    try:
        now_reads = lineage(query.sql, dialect=dialect, catalog=catalog)
    except Exception as exc:
        return f"The SQL no longer parses: {str(exc)[:200]}"
    reasons = [f"table {t} no longer exists" for t in query.tables if catalog.table(t) is None]
    for read in query.columns:  # what it read when verified: each still there?
        table, _, column = read.rpartition(".")
        found = catalog.table(table)
        if found is not None and column != "*" and found.column(column) is None:
            reasons.append(f"column {read} no longer exists")
    said = " ".join(reasons)
    reasons += [f"table {t} no longer exists" for t in now_reads.missing_tables
                if f"{t.rpartition('.')[2]} no longer" not in said]
    reasons += [f"column {c} no longer exists" for c in now_reads.unresolved
                if f".{c.rpartition('.')[2]} no longer" not in said]
    return "; ".join(dict.fromkeys(reasons)) or None


def similar(candidates: Sequence[VerifiedQuery], question: str, *,
            tables: Iterable[str] = (), limit: int = 3) -> list[VerifiedQuery]:
    """The verified queries closest to a question: BM25 over their questions, plus overlap of the
    tables they read with the tables retrieved for the question. Only ones sharing a word or a table."""
    from rank_bm25 import BM25Plus

    from olympus.agent.schema_terms import terms

    if not candidates or limit <= 0:
        return []
    query = list(terms(question))
    docs = [list(terms(c.question)) or ["\x00"] for c in candidates]
    words = BM25Plus(docs).get_scores(query) if query else [0.0] * len(docs)
    base = min(words) if len(words) else 0.0  # BM25+ gives every document a floor: remove it
    wanted = {t.lower() for t in tables}
    scored = []
    for i, cand in enumerate(candidates):
        shared = set(query) & set(docs[i])
        overlap = _overlap({t.lower() for t in cand.tables}, wanted)
        if shared or overlap:
            scored.append((float(words[i]) - base + len(shared) + TABLE_WEIGHT * overlap, i))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [candidates[i] for _, i in scored[:limit]]


def check_text(question: str, sql: str) -> tuple[str, str]:
    """A question and SQL fit to store: both present, bounded."""
    from olympus.errors import ConfigError

    question, sql = str(question or "").strip(), str(sql or "").strip()
    if not question or not sql:
        raise ConfigError("A verified query needs both a question and its SQL.",
                          title="Nothing to verify", fields=("question", "sql"),
                          suggestion="Ask a question (or write one) and run its SQL first.")
    if len(question) > MAX_QUESTION or len(sql) > MAX_SQL:
        raise ConfigError(f"The question (at most {MAX_QUESTION:,} characters) or the SQL (at "
                          f"most {MAX_SQL:,}) is too long to keep as an example.",
                          title="Too long", fields=("question", "sql"),
                          suggestion="Shorten it and save again.")
    return question, sql


def _overlap(have: set[str], wanted: set[str]) -> float:
    return len(have & wanted) / len(have | wanted) if have and wanted else 0.0
