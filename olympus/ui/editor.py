"""The SQL editor: highlighting, autocomplete from the cached catalog, Ctrl/Cmd+Enter, Format.

Ace (vendored from ace-builds under editor_assets/ace: nothing is fetched from elsewhere) drawn
in the page by Streamlit's custom components v2: no iframe, and Ace's ~0.5 MB load once per
browser tab instead of a React app per editor mount. Only plain data (names, keywords, the SQL)
crosses into the component; its JS draws it as text.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import streamlit as st

MAX_COMPLETIONS = 4000  # sent with every rerun: bounded on a 10,000-table catalog
_WORD = re.compile(r"^[A-Z][A-Z_]*( [A-Z_]+)*$")
_WHERE = re.compile(r"Line (\d+), Col: (\d+)")
_CACHE: OrderedDict[tuple, tuple[dict, ...]] = OrderedDict()
_LOCK = threading.Lock()
COMPONENT = "olympus.sql_editor"  # "<package>.<component>", as Streamlit's manifests name them
ASSETS = Path(__file__).with_name("editor_assets")
EVENTS = ("submit", "format", "change")
_WORDS: OrderedDict[int, tuple[tuple, list]] = OrderedDict()


@dataclass(frozen=True)
class EditorEvent:
    """What the person did in the editor: "submit" (Run / Ctrl+Enter), "format" or "change"."""

    kind: str
    text: str


def keywords(dialect: str) -> tuple[str, ...]:
    """The dialect's word keywords from sqlglot's tokenizer (no operators or templating)."""
    from sqlglot.dialects.dialect import Dialect

    try:
        tokens = Dialect.get_or_raise(dialect or None).tokenizer_class.KEYWORDS
    except Exception:  # an unknown dialect name: the generic one
        tokens = Dialect.get_or_raise(None).tokenizer_class.KEYWORDS
    return tuple(sorted(k for k in tokens if _WORD.match(k)))


def completions(catalog: Any, dialect: str, *, cache_key: tuple | None = None
                ) -> tuple[dict, ...]:
    """Ace completer items: tables (bare and qualified), columns (with their tables), keywords."""
    if cache_key is not None:
        with _LOCK:
            if cache_key in _CACHE:
                _CACHE.move_to_end(cache_key)
                return _CACHE[cache_key]
    items = _catalog_items(catalog) if catalog is not None else []
    items += [{"caption": k, "value": k, "meta": "keyword", "score": 10}
              for k in keywords(dialect)]
    out = tuple(items[:MAX_COMPLETIONS])
    if cache_key is not None:
        with _LOCK:
            _CACHE[cache_key] = out
            while len(_CACHE) > 32:
                _CACHE.popitem(last=False)
    return out


def _catalog_items(catalog: Any) -> list[dict]:
    tables: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    for table in getattr(catalog, "tables", ()):
        tables.setdefault(table.name, table.kind)
        tables.setdefault(table.qualified_name, table.kind)
        for column in table.columns:
            columns.setdefault(column.name, []).append(table.name)
    items = [{"caption": n, "value": n, "meta": kind, "score": 30} for n, kind in tables.items()]
    for name, where in columns.items():
        meta = where[0] if len(where) == 1 else f"{where[0]} +{len(where) - 1}"
        items.append({"caption": name, "value": name, "meta": f"column · {meta}", "score": 40})
    return items


def format_sql(sql: str, dialect: str) -> tuple[str, str | None]:
    """sqlglot pretty-print in the target dialect; on any failure the user's text, unchanged,
    and a short reason (comments survive; a script of several statements is kept as is)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    if not sql.strip():
        return sql, None
    try:
        parts = sqlglot.transpile(sql, read=dialect or None, write=dialect or None, pretty=True)
    except SqlglotError as exc:
        where = _WHERE.search(str(exc))
        at = f" (line {where.group(1)}, column {where.group(2)})" if where else ""
        return sql, f"Couldn't format: this SQL doesn't parse yet{at}. Your text is unchanged."
    if len(parts) != 1:
        return sql, "Couldn't format: the editor holds more than one statement."
    return parts[0], None


def sql_editor(code: str, *, key: str, items: tuple[dict, ...], height: tuple[int, int] = (8, 22),
               placeholder: str = "",
               on_event: Callable[[EditorEvent], None] | None = None) -> EditorEvent | None:
    """Draw the editor; return a new event once (each event id is handled a single time). With
    `on_event`, events go to that callback instead, before the rerun (it may choose what reruns:
    st.rerun(key))."""
    dark = (getattr(st.context.theme, "type", None) or "light") == "dark"
    data = {"code": code, "words": _words(items), "minLines": height[0],
            "maxLines": height[1], "placeholder": placeholder, "dark": dark}
    callbacks = {f"on_{kind}_change": (lambda: None) if on_event is None else
                 functools.partial(_dispatch, key, kind, on_event) for kind in EVENTS}
    result = _mount()(key=key, data=data, height="content", **callbacks)
    if on_event is not None:
        return None
    for kind in EVENTS:  # Run beats Format beats a mere edit, if several came at once
        event = _event(key, kind, result.get(kind))
        if event is not None:
            return event
    return None


def _words(items: tuple[dict, ...]) -> list[list]:
    """The completions as compact rows, once per items tuple (completions() returns the same
    cached tuple for a catalog: a notebook's editors share one conversion)."""
    with _LOCK:
        hit = _WORDS.get(id(items))
        if hit is not None and hit[0] is items:
            return hit[1]
    rows = [_word(i) for i in items]
    with _LOCK:
        _WORDS[id(items)] = (items, rows)  # the tuple is kept alive, so its id stays its own
        while len(_WORDS) > 32:
            _WORDS.popitem(last=False)
    return rows


def _word(item: dict) -> list:
    """One completion as [value, meta, score(, caption)]: compact, it is sent with every rerun."""
    row = [str(item["value"]), str(item.get("meta", "")), int(item.get("score", 0))]
    caption = str(item.get("caption", row[0]))
    return row if caption == row[0] else [*row, caption]


def _mount() -> Callable[..., Any]:
    """The component's mount command on this runtime (editor.js and Ace served as files)."""
    from olympus.ui.components import mounter

    return mounter(COMPONENT, ASSETS, "editor.js")


def _dispatch(key: str, kind: str, on_event: Callable[[EditorEvent], None]) -> None:
    """Trigger callback: Streamlit calls one per event, in the order the person made them."""
    event = _event(key, kind, (st.session_state.get(key) or {}).get(kind))
    if event is not None:
        on_event(event)


def _event(key: str, kind: str, value: Any) -> EditorEvent | None:
    from olympus.ui.components import fresh_trigger

    value = fresh_trigger(key, value)
    return None if value is None else EditorEvent(kind=kind, text=str(value.get("text") or ""))
