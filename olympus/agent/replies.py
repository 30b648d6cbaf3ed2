"""Reading model replies: SQL in plain text, text in content blocks, a chart spec checked against data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from olympus.errors import OlympusError
from olympus.guard import strip_fences

if TYPE_CHECKING:
    from olympus.runner import QueryResult

# A reply starting with one of these is SQL (writes included: the guard must see and refuse them).
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
