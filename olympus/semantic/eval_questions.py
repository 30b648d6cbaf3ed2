"""An evaluation's question set: JSON Lines of {"id", "question", "sql" (gold), optional
"follow_up_of" (an earlier id: the conversation continues), optional "order_matters"}."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from olympus.errors import ConfigError

DEMO_QUESTIONS = Path(__file__).resolve().parent.parent / "demo" / "questions.jsonl"
FIELDS = {"id", "question", "sql", "follow_up_of", "order_matters", "note"}


@dataclass(frozen=True)
class EvalQuestion:
    """One question with the SQL whose result is the right answer."""

    id: str
    question: str
    sql: str
    follow_up_of: str | None = None
    order_matters: bool | None = None  # None: decided by the gold SQL's top-level ORDER BY


def _bad(where: str, what: str) -> ConfigError:
    return ConfigError(f"{where}: {what}", title="Bad question file",
                       suggestion='One JSON object per line: {"id": "q1", "question": "...", '
                                  '"sql": "SELECT ..."}, optional "follow_up_of": "<earlier id>" '
                                  'and "order_matters": true/false.')


def parse_line(text: str, where: str, seen: set[str]) -> EvalQuestion:
    """One line checked: an object with non-empty text fields, a new id, a known parent."""
    try:
        item = json.loads(text)
    except ValueError as exc:
        raise _bad(where, f"not JSON ({exc.msg}).") from None
    if not isinstance(item, dict):
        raise _bad(where, "expected a JSON object.")
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        raise _bad(where, f"unknown field(s) {', '.join(map(repr, unknown))}.")
    for name in ("id", "follow_up_of"):  # ids may be numbers: 1 and "1" are the same question
        if isinstance(item.get(name), int) and not isinstance(item[name], bool):
            item[name] = str(item[name])
    for name in ("id", "question", "sql"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise _bad(where, f'"{name}" must be a non-empty string.')
    qid, parent, order = item["id"].strip(), item.get("follow_up_of"), item.get("order_matters")
    if qid in seen:
        raise _bad(where, f"the id {qid!r} is used twice.")
    if parent is not None and parent not in seen:
        raise _bad(where, f'"follow_up_of" {parent!r} is not the id of an earlier question.')
    if order is not None and not isinstance(order, bool):
        raise _bad(where, '"order_matters" must be true or false.')
    return EvalQuestion(qid, item["question"].strip(), item["sql"].strip(), parent, order)


def read_questions(path: str | Path, *, limit: int | None = None) -> list[EvalQuestion]:
    """The file's questions in order (the first `limit`); any bad line stops with its number."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the question file {str(path)!r}: "
                          f"{getattr(exc, 'strerror', None) or exc}.", title="Bad question file",
                          suggestion="Give the path of a UTF-8 JSON Lines file.") from None
    out: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if line.strip():
            out.append(parse_line(line, f"{path.name} line {number}", seen))
            seen.add(out[-1].id)
    if not out:
        raise _bad(path.name, "no questions.")
    return out[:limit] if limit else out
