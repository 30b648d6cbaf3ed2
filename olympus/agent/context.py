"""Schema context for a question: the tables it needs, rendered within a token budget.

Retrieval is lexical and value-free (BM25 over names and comments, never row data), widened by
foreign-key neighbours and the chat's earlier questions; rendering degrades detail (shorter
comments, then fewer columns on low-ranked tables) before dropping whole tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from olympus.agent.schema_index import (Bm25, documents, inferred_links, join_first, query_weights,
                                         table_key)
from olympus.agent.schema_render import LEVELS, render_table
from olympus.agent.schema_terms import terms
from olympus.agent.tokens import count_tokens
from olympus.catalog import Catalog, Table, catalog_of

HISTORY_WEIGHT, HISTORY_DECAY = 0.6, 0.7  # last earlier question, then each older one
FK_TOP, FK_DECAY = 15, 0.6  # neighbours of this many top hits inherit this share of their score
FK_OWN = 1.0  # ... on top of this share of their own
EXPAND_WEIGHT = 0.6  # words of the glossary terms a question uses (definitions, synonyms, SQL)
SCHEMA_WEIGHT = 0.8  # a question's tables usually share a schema: reward the schema covering it best
COPY_JACCARD, COPY_PENALTY = 0.6, 0.5  # near-copies (staging, archive...) of a better table rank lower
RELEVANT_SHARE = 0.35  # tables scoring at least this share of the best are "relevant"
RELEVANT_MAX = 60
FILL_LEVEL = 2  # detail of extra, lower-ranked tables added while budget remains
FILL_SCAN = 150  # how many further ranked tables to try when filling
HEADER = "-- {shown} of {total} tables; columns: name type [PK] [FK->table.column] -- note"


@dataclass(frozen=True)
class SchemaContext:
    """What the prompt gets: rendered schema text and which tables it covers, best first."""

    text: str
    tables: tuple[str, ...]
    tokens: int
    truncated: bool
    scores: tuple[float, ...]
    total_tables: int


class SchemaIndex:
    """Retrieval index for one catalog; build once, ask many questions."""

    def __init__(self, tables: Catalog | Sequence[Table]):
        self.catalog = catalog_of(tables)
        self.tables = self.catalog.tables
        self.keys = tuple(table_key(t) for t in self.tables)
        self.index_of = {k: i for i, k in enumerate(self.keys)}
        docs = documents(self.tables)
        self.bm25 = Bm25(docs, b=0.0)
        self.schemas = self.catalog.schemas
        schema_of = {name: n for n, name in enumerate(self.schemas)}
        self.schema_ids = np.array([schema_of[t.schema] for t in self.tables], dtype=np.int32)
        self.schema_bm25 = Bm25(_merge(docs, self.schema_ids, len(self.schemas)))
        self.column_sets = tuple(frozenset(c.name.lower() for c in t.columns) for t in self.tables)
        inferred = inferred_links(self.tables)
        self.adjacent = tuple(tuple(sorted(set(a) | b)) for a, b in zip(self.catalog.adjacency, inferred))
        self._costs: dict[tuple[int, int, str], int] = {}

    @classmethod
    def from_snapshot(cls, snapshot: Catalog | Mapping) -> SchemaIndex:
        """Index a Catalog (or its FEAT-001 dict form; ValueError when it is neither)."""
        if isinstance(snapshot, Catalog):
            return cls(snapshot)
        return cls(Catalog.from_dict(snapshot))

    def scores(self, question: str, history: Sequence[str] = (), expand: str = "") -> np.ndarray:
        """Relevance of every table: BM25 plus schema fit, copies demoted, then FK neighbours.
        `expand`: extra words with a lower weight (the glossary terms the question uses)."""
        query = _query(question, history, self.bm25.postings, expand)
        own = self.bm25.scores(query)
        if not own.size or own.max() <= 0:  # no tables, or no word of the question matches
            return own
        by_schema = self.schema_bm25.scores(query)
        fit = by_schema[self.schema_ids] / max(by_schema.max(), 1e-9)
        base = own / own.max() + SCHEMA_WEIGHT * fit * np.where(own > 0, 1.0, 0.5)
        base = self._demote_copies(base)
        final = base.copy()
        for i in np.argsort(-base, kind="stable")[:FK_TOP]:
            if base[i] <= 0:
                break
            for j in self.adjacent[i]:
                final[j] = max(final[j], FK_DECAY * base[i] + FK_OWN * base[j])
        return final

    def _demote_copies(self, scores: np.ndarray) -> np.ndarray:
        """Lower near-duplicates (same columns) of a better-ranked table, among the top hits."""
        out = scores.copy()
        kept: list[int] = []
        for i in np.argsort(-scores, kind="stable")[:RELEVANT_MAX * 4]:
            cols = self.column_sets[i]
            copies = sum(_jaccard(cols, self.column_sets[j]) >= COPY_JACCARD for j in kept)
            out[i] *= COPY_PENALTY**copies
            kept.append(int(i))
        return out

    def context(self, question: str, *, dialect: str, budget_tokens: int = 4000,
                pinned: Iterable[str] = (), dropped: Iterable[str] = (),
                history: Sequence[str] = (), expand: str = "") -> SchemaContext:
        """The schema context for one question: pinned first, dropped never, within budget (unknown keys ignored)."""
        if budget_tokens < 50:
            raise ValueError(f"budget_tokens={budget_tokens} is too small; use at least 50")
        scores = self.scores(question, history, expand)
        history = [*history, expand] if expand else history  # its columns are kept when trimming
        skip = {self.index_of[k] for k in dropped if k in self.index_of}
        pins = [self.index_of[k] for k in dict.fromkeys(pinned) if k in self.index_of]
        pins = [i for i in pins if i not in skip]
        ranked = [int(i) for i in np.argsort(-scores, kind="stable") if i not in skip and i not in pins]
        plan = self._everything(pins + ranked, dialect, budget_tokens)
        truncated = False
        if plan is None:
            top = scores[ranked[0]] if ranked else 0.0
            relevant = [i for i in ranked[:RELEVANT_MAX] if top > 0 and scores[i] >= RELEVANT_SHARE * top]
            plan, truncated = self._pack(pins + relevant, dialect, budget_tokens)
            if not truncated:  # never let a weaker table take the place of a dropped relevant one
                rest = join_first(ranked[len(relevant):], pins + relevant, self.adjacent,
                                  scan=[i for i in ranked[len(relevant):len(relevant) + FILL_SCAN] if scores[i] > 0])
                self._fill(plan, rest, dialect, budget_tokens)
        result = self._finish(plan, scores, dialect, question, history, truncated)
        while result.tokens > budget_tokens and plan:  # trimmed tables kept extra matching columns
            plan.pop()
            result = self._finish(plan, scores, dialect, question, history, True)
        return result

    def cost(self, i: int, level: int, dialect: str) -> int:
        """Tokens of table `i` at a detail level (cached; matching columns kept when trimmed are re-checked)."""
        key = (i, level, dialect)
        if key not in self._costs:
            self._costs[key] = count_tokens(render_table(self.tables[i], level, dialect)) + 1
        return self._costs[key]

    def _everything(self, order: list[int], dialect: str, budget: int) -> list[list[int]] | None:
        """Every table at full detail when the whole schema fits, else None (stops early)."""
        total = _header_cost(len(order), len(self.tables))
        for i in order:
            total += self.cost(i, 0, dialect)
            if total > budget:
                return None
        return [[i, 0] for i in order]

    def _pack(self, chosen: list[int], dialect: str, budget: int) -> tuple[list[list[int]], bool]:
        """Fit the relevant tables: shorten comments, trim columns bottom-up, then drop the tail."""
        plan = [[i, 0] for i in chosen]
        for level in range(1, len(LEVELS)):
            for entry in reversed(plan):
                if self._used(plan, dialect) <= budget:
                    return plan, False
                entry[1] = level
        while plan and self._used(plan, dialect) > budget:
            plan.pop()
        return plan, len(plan) < len(chosen)

    def _used(self, plan: list[list[int]], dialect: str, extra: int = 0) -> int:
        """Tokens the plan will take, header included (`extra` tables announced in the header)."""
        return _header_cost(len(plan) + extra, len(self.tables)) + sum(self.cost(i, lv, dialect) for i, lv in plan)

    def _fill(self, plan: list[list[int]], rest: list[int], dialect: str, budget: int) -> None:
        """Add lower-ranked candidates compactly while the budget allows: cheap recall insurance."""
        used = self._used(plan, dialect, extra=1)
        for i in rest:
            for level in (FILL_LEVEL, len(LEVELS) - 1):
                if used + self.cost(i, level, dialect) <= budget:
                    plan.append([i, level])
                    used += self.cost(i, level, dialect)
                    break

    def _finish(self, plan, scores, dialect, question, history, truncated) -> SchemaContext:
        """Render the plan, keeping question-matching columns at the trimmed level."""
        wanted = set(terms(question)).union(*(terms(h) for h in history))
        blocks = [render_table(self.tables[i], lv, dialect, _matching(self.tables[i], wanted)) for i, lv in plan]
        text = "\n".join([HEADER.format(shown=len(plan), total=len(self.tables)), *blocks])
        return SchemaContext(text=text, tables=tuple(self.keys[i] for i, _ in plan),
                             tokens=count_tokens(text), truncated=truncated,
                             scores=tuple(round(float(scores[i]), 3) for i, _ in plan),
                             total_tables=len(self.tables))


def build_context(snapshot: Catalog | Mapping, question: str, *, dialect: str, budget_tokens: int = 4000,
                  pinned: Iterable[str] = (), dropped: Iterable[str] = (),
                  history: Sequence[str] = ()) -> SchemaContext:
    """One-off convenience: index the snapshot and build the context (cache the index instead)."""
    return SchemaIndex.from_snapshot(snapshot).context(
        question, dialect=dialect, budget_tokens=budget_tokens, pinned=pinned, dropped=dropped,
        history=history)


def _query(question: str, history: Sequence[str], vocabulary, expand: str = "") -> dict[str, float]:
    """Weighted query terms: the question, earlier questions with decaying weight, glossary words."""
    texts = [(question, 1.0), (expand, EXPAND_WEIGHT)]
    texts += [(earlier, HISTORY_WEIGHT * HISTORY_DECAY**age) for age, earlier in enumerate(reversed(history))]
    return query_weights(texts, vocabulary)


def _merge(docs: list[Counter], groups: np.ndarray, n: int) -> list[Counter]:
    """Documents merged per group (one per schema)."""
    merged = [Counter() for _ in range(n)]
    for doc, group in zip(docs, groups):
        merged[group].update(doc)
    return merged


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two column-name sets."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _matching(table: Table, wanted: set[str]) -> frozenset[str]:
    """Columns whose name or comment shares a word with the question."""
    return frozenset(c.name for c in table.columns
                     if wanted.intersection(terms(c.name)) or wanted.intersection(terms(c.description)))


def _header_cost(shown: int, total: int) -> int:
    """Tokens of the header line."""
    return count_tokens(HEADER.format(shown=shown, total=total)) + 1
