"""Run a question set through the same agent as the Ask page and score execution accuracy, so a
team can compare models, glossaries and prompts on their own data."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from olympus.errors import OlympusError
from olympus.semantic.eval_compare import difference, gold_orders
from olympus.semantic.eval_questions import EvalQuestion

if TYPE_CHECKING:
    from olympus.agent.answer import AgentAnswer
    from olympus.workspace import Workspace

RATE_LIMIT_TRIES = 3  # a question that hits the workspace's query limit waits and runs again


@dataclass(frozen=True)
class EvalOutcome:
    """One question: what the agent ran, whether its result is the gold result, and its cost."""

    id: str
    question: str
    gold_sql: str
    sql: str | None
    status: str  # correct | wrong (ran, other result) | error (no result) | gold_error
    reason: str | None  # why it missed, in a few words
    ordered: bool  # rows compared in order (the gold SQL orders, or order_matters)
    tokens: int
    latency_ms: float
    model_calls: int
    attempts: int  # failed SQL tries before the final one
    rows: int | None
    expected_rows: int | None
    follow_up_of: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "latency_ms": round(self.latency_ms, 1)}


@dataclass(frozen=True)
class EvalReport:
    """Every outcome plus the totals; `stopped` holds the error that ended the run early."""

    connection: str
    model: str
    outcomes: tuple[EvalOutcome, ...]
    stopped: dict | None = None

    @property
    def scored(self) -> list[EvalOutcome]:
        """Questions whose gold SQL ran (a broken gold query is the question set's fault)."""
        return [o for o in self.outcomes if o.status != "gold_error"]

    @property
    def accuracy(self) -> float | None:
        scored = self.scored
        return sum(o.correct for o in scored) / len(scored) if scored else None

    @property
    def misses(self) -> list[EvalOutcome]:
        return [o for o in self.outcomes if not o.correct]

    def to_dict(self) -> dict[str, Any]:
        scored, latency = self.scored, [o.latency_ms for o in self.outcomes]
        return {"connection": self.connection, "model": self.model,
                "questions": len(self.outcomes), "scored": len(scored),
                "correct": sum(o.correct for o in scored),
                "accuracy": round(self.accuracy, 4) if self.accuracy is not None else None,
                "tokens": sum(o.tokens for o in self.outcomes),
                "latency_ms_median": round(statistics.median(latency), 1) if latency else None,
                "gold_errors": [o.id for o in self.outcomes if o.status == "gold_error"],
                "misses": [o.id for o in self.misses], "stopped": self.stopped,
                "outcomes": [o.to_dict() for o in self.outcomes]}


def run_eval(ws: "Workspace", connection: str, questions: Iterable[EvalQuestion], *,
             llm: Any = None, on_outcome: Callable[[EvalOutcome], None] | None = None,
             pause: Callable[[float], None] = time.sleep) -> EvalReport:
    """Each question through olympus.agent.ask (guard, limits, query log as on the Ask page);
    a follow-up carries its conversation. An unreachable model stops the run, keeping the rest."""
    from olympus.agent.llm import LLMError

    record = ws.get(connection)
    dialect = ws.connector_class(record.name).dialect
    warm_up(ws, record.name)
    model = getattr(llm, "model_name", None) or ws.settings.openai_model
    chats: dict[str, list] = {}
    outcomes: list[EvalOutcome] = []
    for q in questions:
        history = chats.get(q.follow_up_of, []) if q.follow_up_of else []
        try:
            outcome, answer = one_question(ws, record.name, q, history, dialect=dialect, llm=llm,
                                           pause=pause)
        except LLMError as err:
            return EvalReport(record.name, model, tuple(outcomes), stopped=err.to_dict())
        chats[q.id] = [*history, answer]
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return EvalReport(record.name, model, tuple(outcomes))


def warm_up(ws: "Workspace", name: str) -> None:
    """Catalog and schema index read once before the clock runs, so the first question's latency
    is the agent's, like the others' (and an unreachable database fails before any question)."""
    from olympus.agent.context import SchemaIndex

    snapshot = ws.schema(name)
    ws.schema_index(name, snapshot, lambda: SchemaIndex.from_snapshot(snapshot))


def one_question(ws: "Workspace", name: str, q: EvalQuestion, history: list, *, dialect: str,
                 llm: Any, pause: Callable[[float], None]) -> tuple[EvalOutcome, "AgentAnswer"]:
    """Gold result, then the agent's, then the comparison; the answer continues the chat."""
    gold, gold_error = _gold(ws, name, q.sql, pause)
    started = time.perf_counter()
    answer = _ask(ws, name, q.question, history, llm, pause)
    latency = (time.perf_counter() - started) * 1000
    if answer.error is not None and answer.error.kind == "llm":
        raise answer.error
    ordered = q.order_matters if q.order_matters is not None else gold_orders(q.sql, dialect)
    if gold_error is not None:
        status, reason = "gold_error", f"the gold SQL failed: {_words(gold_error)}"
    elif not answer.ok:
        status, reason = "error", _words(answer.error) if answer.error else "no result"
    else:
        reason = difference(gold.rows(), answer.result.rows(), ordered=ordered)
        status = "correct" if reason is None else "wrong"
    return EvalOutcome(
        q.id, q.question, q.sql, answer.sql, status, reason, ordered, answer.tokens, latency,
        answer.model_calls, len(answer.attempts),
        answer.result.row_count if answer.result is not None else None,
        gold.row_count if gold is not None else None, q.follow_up_of), answer


def _words(err: OlympusError) -> str:
    return f"{err.title}: {err.message}"


def _gold(ws: "Workspace", name: str, sql: str, pause):
    """The gold result through the same guarded runner (waiting out the rate limit)."""
    for tries in range(1, RATE_LIMIT_TRIES + 1):
        try:
            return ws.run_sql(name, sql), None
        except OlympusError as err:
            if err.kind != "rate_limit" or tries == RATE_LIMIT_TRIES:
                return None, err
            pause(getattr(err, "retry_after_s", None) or 60)
    raise AssertionError("unreachable")


def _ask(ws: "Workspace", name: str, question: str, history: list, llm, pause) -> "AgentAnswer":
    from olympus.agent import ask

    for tries in range(1, RATE_LIMIT_TRIES + 1):
        answer = ask(ws, name, question, history=history, llm=llm)
        error = answer.error
        if error is None or error.kind != "rate_limit" or tries == RATE_LIMIT_TRIES:
            return answer
        pause(getattr(error, "retry_after_s", None) or 60)
    raise AssertionError("unreachable")
