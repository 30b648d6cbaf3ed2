"""What one question returns (AgentAnswer) and what a chat remembers of it (Turn), as frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from olympus.charts import ChartSpec
    from olympus.errors import OlympusError
    from olympus.runner import QueryResult


@dataclass(frozen=True)
class Attempt:
    """One SQL the model proposed that failed, with the real error text (the answer shows each)."""

    sql: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"sql": self.sql, "error": self.error}


@dataclass(frozen=True)
class AgentAnswer:
    """Question -> SQL -> result -> answer and chart, plus what was sent and what went wrong."""

    question: str
    sql: str | None
    result: "QueryResult | None" = field(default=None, repr=False)
    answer: str = ""
    chart: "ChartSpec | None" = None
    tables_sent: tuple[str, ...] = ()
    attempts: tuple[Attempt, ...] = ()  # failed tries before the final one
    error: "OlympusError | None" = None
    tokens: int = 0  # prompt + completion tokens over all model calls (reported, else estimated)
    context_tokens: int = 0  # of which the schema context
    model_calls: int = 0
    follow_ups: tuple[str, ...] = ()  # questions the model suggests next (untrusted text)

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None

    @property
    def tables(self) -> tuple[str, ...]:
        """Alias the Ask page reads."""
        return self.tables_sent

    def to_dict(self) -> dict[str, Any]:
        """JSON for the CLI: question, sql, columns, rows, row_count, answer, chart, tables_sent..."""
        data = self.result.to_dict() if self.result is not None else {}
        return {"question": self.question, "sql": self.sql,
                "columns": data.get("columns", []), "rows": data.get("rows", []),
                "row_count": data.get("row_count", 0), "truncated": data.get("truncated", False),
                "elapsed_ms": data.get("elapsed_ms"), "answer": self.answer,
                "chart": self.chart.to_dict() if self.chart is not None else None,
                "tables_sent": list(self.tables_sent),
                "attempts": [a.to_dict() for a in self.attempts],
                "error": self.error.to_dict() if self.error is not None else None,
                "tokens": self.tokens, "context_tokens": self.context_tokens,
                "model_calls": self.model_calls, "follow_ups": list(self.follow_ups)}


@dataclass(frozen=True)
class Turn:
    """An earlier question of the same chat: its SQL and short answer make follow-ups work."""

    question: str
    sql: str | None = None
    answer: str | None = None

    @classmethod
    def of(cls, item: "str | Mapping[str, Any] | AgentAnswer | Turn") -> "Turn | None":
        """Accept a plain question, a dict (the Ask page's history), an AgentAnswer or a Turn."""
        if isinstance(item, Turn):
            return item
        if isinstance(item, str):
            return cls(item) if item.strip() else None
        if isinstance(item, AgentAnswer):
            return cls(item.question, item.sql if item.ok else None, item.answer or None)
        if isinstance(item, Mapping) and str(item.get("question") or "").strip():
            ok = item.get("ok", True)
            return cls(str(item["question"]), (item.get("sql") or None) if ok else None,
                       item.get("answer") or None)
        return None
