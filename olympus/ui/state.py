"""Session state in one place: the selected connection and this session's query history.

Results live here (per browser session, per owner), never in a global cache.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import streamlit as st

MAX_HISTORY = 40  # older entries drop their result frames first, then disappear
KEEP_RESULTS = 15
_IDS = itertools.count(1)


@dataclass(frozen=True)
class Entry:
    """One question or query of this session and what came back."""

    id: int
    mode: str  # "sql" | "ask"
    connection: str
    sql: str
    question: str | None = None
    result: Any = None  # QueryResult | None
    error: dict | None = None  # OlympusError.to_dict()
    chart: Any = None  # ChartSpec | None (suggested or from the agent)
    answer: str | None = None
    tables: tuple[str, ...] = ()
    attempts: tuple = ()  # agent.Attempt: each failed SQL and its error, before the final one
    follow_ups: tuple[str, ...] = ()  # questions the model suggests next (untrusted text)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None

    @property
    def label(self) -> str:
        text = (self.question or " ".join(self.sql.split()))
        return text if len(text) <= 48 else text[:45] + "…"


def _key(name: str, owner: str) -> str:
    return f"olympus:{owner}:{name}"


def history(owner: str) -> list[Entry]:
    return st.session_state.setdefault(_key("history", owner), [])


def add_entry(owner: str, **values: Any) -> Entry:
    """Append to the history; keep it bounded so a long session can't eat the server's memory."""
    entries = history(owner)
    entry = Entry(id=next(_IDS), **values)
    entries.append(entry)
    del entries[:-MAX_HISTORY]
    for i, old in enumerate(entries[:-KEEP_RESULTS]):
        if old.result is not None:
            entries[i] = replace(old, result=None)
    return entry


def find_entry(owner: str, entry_id: int | None) -> Entry | None:
    return next((e for e in history(owner) if e.id == entry_id), None)


def selected_connection(owner: str, names: list[str]) -> str | None:
    """The connection picked on any page (shared by Schema and Ask); first one by default."""
    current = st.session_state.get(_key("connection", owner))
    if current in names:
        return current
    return names[0] if names else None


def select_connection(owner: str, name: str | None) -> None:
    st.session_state[_key("connection", owner)] = name


def get(owner: str, name: str, default: Any = None) -> Any:
    return st.session_state.get(_key(name, owner), default)


def put(owner: str, name: str, value: Any) -> None:
    st.session_state[_key(name, owner)] = value


def pop(owner: str, name: str, default: Any = None) -> Any:
    return st.session_state.pop(_key(name, owner), default)
