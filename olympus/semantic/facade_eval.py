"""Workspace methods: the evaluation runner (mixed in through olympus.semantic.facade)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from olympus.semantic.eval_questions import EvalQuestion
    from olympus.semantic.evaluate import EvalOutcome, EvalReport


class EvalMethods:
    """The evaluation runner for the signed-in user and space (self.principal, self.owner)."""

    def evaluate(self, connection: str, questions: "str | Path | Iterable[EvalQuestion]", *,
                 limit: int | None = None, llm: Any = None,
                 on_outcome: "Callable[[EvalOutcome], None] | None" = None) -> "EvalReport":
        """Score the agent on question + gold-SQL pairs (a JSON Lines path or parsed questions);
        asking is querying, so it needs the query right like the Ask page."""
        from olympus.semantic.eval_questions import read_questions
        from olympus.semantic.evaluate import run_eval

        self.principal.require("query")
        if isinstance(questions, (str, Path)):
            questions = read_questions(questions, limit=limit)
        else:
            questions = list(questions)[:limit] if limit else list(questions)
        return run_eval(self, connection, questions, llm=llm, on_outcome=on_outcome)
