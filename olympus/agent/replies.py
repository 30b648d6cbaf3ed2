"""Reading model replies: SQL in plain text, text in content blocks, a chart spec checked against data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from olympus.errors import OlympusError
from olympus.guard import strip_fences

if TYPE_CHECKING:
    from olympus.runner import QueryResult

# A reply starting with one of these is SQL (writes included: the guard must see and refuse them).
MAX_FOLLOW_UPS, FOLLOW_UP_CHARS = 3, 160
_FOLLOW = r"(?:suggested\s+|possible\s+)?follow[- ]?ups?(?:\s+questions?)?[*_]*"
_FOLLOW_HEAD = re.compile(rf"^[ \t#*_>-]*{_FOLLOW}[ \t]*:?[ \t*_]*$|(?<=[.!?])[ \t]+{_FOLLOW}:[ \t*_]*",
                          re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:(?:[-*\u2022]|\d+[.)])\s+)+")
SQL_WORDS = ("select", "with", "insert", "update", "delete", "merge", "drop", "create", "alter",
             "truncate", "grant", "revoke", "copy", "call", "exec", "set", "attach", "pragma")


def sql_in_text(text: str) -> str | None:
    """SQL in a plain reply: fenced blocks, or a reply that starts like a statement; else None."""
    if "```" in text:
        return strip_fences(text) or None
    words = text.strip().split(None, 1)
    return text.strip() if words and words[0].lower().strip("(") in SQL_WORDS else None


def text_of(message: Any) -> str:
    """A message's text, whether content is a string or a list of content blocks."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content or ()
                   if isinstance(b, str) or b.get("type") == "text")


def chart_for(spec: Any, result: "QueryResult"):
    """The model's chart if it fits the result's columns, else Olympus's own choice (or None)."""
    from olympus import charts

    if result.row_count == 0:
        return None
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            spec = None
    if isinstance(spec, Mapping):
        try:
            return charts.validate({k: spec.get(k) for k in ("mark", "x", "y", "color")},
                                   result.columns)
        except (OlympusError, TypeError, ValueError):
            pass
    return charts.suggest_for(result)


def follow_ups(value: Any) -> tuple[str, ...]:
    """Up to three suggested questions from a list, JSON text or lines. Model text is untrusted:
    only short one-line strings survive (bullets, numbers and quotes stripped, duplicates dropped)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = value.splitlines()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return ()
    out: list[str] = []
    for item in value:
        text = _question(item.get("question") if isinstance(item, Mapping) else item)
        if text and text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return tuple(out[:MAX_FOLLOW_UPS])


def _question(item: Any) -> str:
    if not isinstance(item, str):
        return ""
    text = _BULLET.sub("", " ".join(item.split())).strip().strip("\"'`*_\u201c\u201d").strip()
    return text if 3 <= len(text) <= FOLLOW_UP_CHARS else ""


def split_follow_ups(text: str) -> tuple[str, tuple[str, ...]]:
    """An answer whose end lists "Follow-up questions:" -> (the answer without them, the questions)."""
    head = None
    for head in _FOLLOW_HEAD.finditer(text or ""):
        pass  # the last heading: an answer may mention follow-ups before its list
    if head is None:
        return text, ()
    rest = text[head.end():]
    lines = [p for line in rest.splitlines() for p in re.split(r"(?<=\?)\s+(?=\S)", line)]
    return text[:head.start()].rstrip(), follow_ups([line for line in lines if line.strip()])
