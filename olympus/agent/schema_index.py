"""Lexical (BM25) index over a catalog: table names, column names and comments."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from olympus.agent.schema_terms import split_compound, terms
from olympus.catalog_model import Table

# Field weights: a word in a table name says more than one buried in a column comment.
W_TABLE, W_SCHEMA, W_TABLE_NOTE, W_COLUMN, W_COLUMN_NOTE = 3.0, 1.0, 1.0, 1.5, 0.5
COMPOUND_SHARE = 0.5  # weight of each half of a split compound identifier
K1, B = 1.2, 0.75


def table_key(table: Table) -> str:
    """The 'schema.table' key used everywhere in the agent."""
    return f"{table.schema}.{table.name}"


def _fields(table: Table) -> list[tuple[str | None, float, bool]]:
    """(text, weight, is_identifier) for every part of a table that can match a question."""
    out: list[tuple[str | None, float, bool]] = [
        (table.name, W_TABLE, True), (table.schema, W_SCHEMA, True),
        (table.description, W_TABLE_NOTE, False)]
    for col in table.columns:
        out.append((col.name, W_COLUMN, True))
        out.append((col.description, W_COLUMN_NOTE, False))
    return out


def documents(tables: Sequence[Table]) -> list[Counter]:
    """Weighted term frequencies per table, with compound identifiers split into known words."""
    raw = [[(terms(text), w, ident) for text, w, ident in _fields(t)] for t in tables]
    vocab = {term for doc in raw for field, _, _ in doc for term in field}
    docs = []
    for doc in raw:
        tf: Counter = Counter()
        for field, weight, ident in doc:
            for term in field:
                tf[term] += weight
                if ident:
                    for part in split_compound(term, vocab):
                        tf[part] += COMPOUND_SHARE * weight
        docs.append(tf)
    return docs


class Bm25:
    """BM25 with precomputed per-posting contributions, so a query is a few numpy adds."""

    def __init__(self, docs: list[Counter]):
        lengths = np.array([sum(d.values()) for d in docs], dtype=float)
        avg = float(lengths.mean()) if len(docs) else 1.0
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in doc.items():
                postings[term].append((i, tf * (K1 + 1) / (tf + norm[i])))
        n = len(docs)
        self.size = n
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, rows in postings.items():
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            idx = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
            val = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows)) * idf
            self.postings[term] = (idx, val)

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """BM25 score of every document for weighted query terms."""
        out = np.zeros(self.size)
        for term, weight in query.items():
            hit = self.postings.get(term)
            if hit is not None:
                out[hit[0]] += weight * hit[1]
        return out
