"""Lexical (BM25) index over a catalog: table names, column names and comments, by word form."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence

import numpy as np

from olympus.agent.schema_terms import normalise, root, split_compound, synonyms, terms, words
from olympus.catalog_model import Table

# Field weights: a word in a table name says more than one buried in a column comment.
W_TABLE, W_SCHEMA, W_TABLE_NOTE, W_COLUMN, W_COLUMN_NOTE = 3.0, 1.0, 1.0, 1.5, 0.5
COMPOUND_SHARE = 0.5  # weight of each half of a split compound identifier
ROOT_SHARE = 0.4  # weight of a word's derivational root key next to its stem (payment ~ paid)
SYNONYM_SHARE = 0.7  # weight of a thesaurus synonym the catalog uses, next to the question's word
NAME_SHARE = 1.0  # a proper name the catalog does not know ("Carlo Jacobs") asks for name columns
K1, B = 1.2, 0.75
_FULL_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]+(?:['’]s)?)\s+([A-Z][a-z]+)")
_CALENDAR = frozenset("january february march april may june july august september october november "
                      "december monday tuesday wednesday thursday friday saturday sunday".split())
PERSON_NAME = {"name": 1.0, "first": 0.5, "last": 0.5, "full": 0.5}  # where a person's name is kept


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
    """Term frequencies per table (BM25F: the name unnormalised, the body by its length)."""
    raw = [[(terms(text), w, ident) for text, w, ident in _fields(t)] for t in tables]
    vocab = {term for doc in raw for field, _, _ in doc for term in field}
    parts = [(_weigh(doc[:2], vocab), _weigh(doc[2:], vocab)) for doc in raw]
    lengths = np.array([sum(body.values()) for _, body in parts], dtype=float)
    avg = max(float(lengths.mean()), 1e-9) if len(parts) else 1.0
    docs = []
    for (name, body), length in zip(parts, lengths):
        scale = 1.0 / (1 - B + B * length / avg)
        tf = Counter({t: v * scale for t, v in body.items()})
        tf.update(name)
        docs.append(tf)
    return docs


def _weigh(fields, vocab) -> Counter:
    """Weighted term frequencies of some fields, roots and known compound parts included."""
    tf: Counter = Counter()
    for field, weight, ident in fields:
        for term in field:
            tf[term] += weight
            tf[root(term)] += ROOT_SHARE * weight
            if ident:
                for part in split_compound(term, vocab):
                    tf[part] += COMPOUND_SHARE * weight
                    tf[root(part)] += ROOT_SHARE * COMPOUND_SHARE * weight
    return tf


def query_weights(texts: Iterable[tuple[str, float]], vocabulary: Container[str]) -> dict[str, float]:
    """Weighted query keys of (text, weight) pairs: stems, roots, joined compounds, synonyms."""
    weights: Counter = Counter()
    for text, weight in texts:
        found = terms(text)
        for term in found:
            weights[term] += weight
            weights[root(term)] += ROOT_SHARE * weight
        for joined in _joined(text, vocabulary):  # "sales people" -> salesperson
            weights[joined] += weight
        for term in found:  # "salesperson" -> sales, person (when the catalog says them apart)
            if term not in vocabulary:
                for part in split_compound(term, vocabulary):
                    weights[part] += COMPOUND_SHARE * weight
        extra = {s for t in found for s in synonyms().get(t, ()) if s in vocabulary} - set(found)
        for term in extra:
            weights[term] += SYNONYM_SHARE * weight
        if _person_named(text, vocabulary):
            for term, share in PERSON_NAME.items():
                weights[term] += NAME_SHARE * share * weight
    return dict(weights)


def _joined(text: str, vocabulary: Container[str]) -> set[str]:
    """Adjacent question words written as one word in the catalog ('sales people' -> salesperson)."""
    raw = words(text)
    out = set()
    for first, second in zip(raw, raw[1:]):
        for joined in (normalise(first + second), normalise(first + normalise(second))):
            if joined in vocabulary:
                out.add(joined)
    return out


def _person_named(text: str, vocabulary: Container[str]) -> bool:
    """Two capitalised words mid-sentence that no table or column uses ('Carlo Jacobs'): a name."""
    for pair in _FULL_NAME.findall(text):
        words_ = [w.lower().split("'")[0].split("’")[0] for w in pair]
        if not any(w in _CALENDAR or normalise(w) in vocabulary for w in words_):
            return True
    return False


class Bm25:
    """BM25 with precomputed per-posting contributions, so a query is a few numpy adds."""

    def __init__(self, docs: list[Counter], *, b: float = B):
        lengths = np.array([sum(d.values()) for d in docs], dtype=float)
        avg = float(lengths.mean()) if len(docs) else 1.0
        norm = K1 * (1 - b + b * lengths / max(avg, 1e-9))
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


GENERIC_KEYS = frozenset({"id", "key", "code", "name", "type", "no", "num", "number"})


def inferred_links(tables: Sequence[Table]) -> list[set[int]]:
    """Joins a catalog does not declare, from names: `GasStationID` -> the table keyed by it.

    Within one schema, a column named like another table's one-column primary key (not a generic
    `id`), or `<table>_id` / `<table>id` next to a table keyed by `id`, links the two tables."""
    links: list[set[int]] = [set() for _ in tables]
    by_schema: dict[str, dict[str, int]] = defaultdict(dict)
    for i, table in enumerate(tables):
        if len(table.primary_key) == 1:
            key = table.primary_key[0].lower()
            keyed = by_schema[table.schema]
            if key not in GENERIC_KEYS:
                keyed.setdefault(key, i)
            if key == "id":
                for stem in {table.name.lower(), normalise(table.name.lower())}:
                    keyed.setdefault(f"{stem}_id", i)
                    keyed.setdefault(f"{stem}id", i)
    for i, table in enumerate(tables):
        keyed = by_schema.get(table.schema) or {}
        for col in table.columns:
            j = keyed.get(col.name.lower())
            if j is not None and j != i:
                links[i].add(j)
                links[j].add(i)
    return links


def join_first(ranked: Sequence[int], chosen: Sequence[int], adjacent: Sequence[Sequence[int]], *,
               scan: Sequence[int]) -> list[int]:
    """Fill order: unchosen tables joining a chosen one (best first), then the `scan` candidates.

    A query needs the tables between its tables, however few of the question's words they hold."""
    near = {j for i in chosen for j in adjacent[i]}
    joined = [i for i in ranked if i in near]
    return joined + [i for i in scan if i not in near]
