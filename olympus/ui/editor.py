"""The SQL editor: highlighting, autocomplete from the cached catalog, Ctrl/Cmd+Enter, Format.

Built on the `streamlit-code-editor` component (react-ace, bundled in its wheel: nothing is
fetched at run time). Its own "streamlit" themes @import a web font, so an Ace theme is named
explicitly instead. Only plain data (names, keywords) crosses into the component.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

MAX_COMPLETIONS = 4000  # sent with every rerun: bounded on a 10,000-table catalog
_WORD = re.compile(r"^[A-Z][A-Z_]*( [A-Z_]+)*$")
_WHERE = re.compile(r"Line (\d+), Col: (\d+)")
_CACHE: OrderedDict[tuple, tuple[dict, ...]] = OrderedDict()
_LOCK = threading.Lock()
THEMES = {"light": "cloud_editor", "dark": "cloud_editor_dark"}
BUTTONS = [  # react-ace command buttons drawn inside the editor frame
    {"name": "Run", "feather": "Play", "primary": True, "hasText": True, "alwaysOn": True,
     "showWithIcon": True, "commands": ["submit"], "style": {"bottom": "0.44rem", "right": "0.4rem"}},
    {"name": "Format", "feather": "AlignLeft", "hasText": True, "alwaysOn": True,
     "showWithIcon": True, "commands": [["response", "format"]],
     "style": {"bottom": "0.44rem", "right": "5.6rem"}},
]


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
    """Draw the editor; return a new event once (the component repeats its last value on every
    rerun, so each event id is handled a single time). With `on_event`, events go to that
    callback instead, before the rerun (it may choose what reruns: st.rerun(key))."""
    theme = THEMES.get(getattr(st.context.theme, "type", None) or "light", THEMES["light"])
    value = _component(
        code=code, lang="sql", key=key, height=list(height), buttons=BUTTONS,
        completions=list(items), replace_completer=True, ghost_text=placeholder,
        response_mode="debounce",  # edits come back after a pause: stale notices can clear
        props={"theme": theme, "debounceChangePeriod": 500, "enableBasicAutocompletion": True,
               "enableLiveAutocompletion": True, "enableSnippets": False,
               "style": {"borderRadius": "0.5rem"}},
        options={"wrap": True, "showLineNumbers": True, "fontFamily": "monospace"},
        component_props={"css": ".ace_editor {border: 1px solid rgba(128,128,128,.35);}"},
        on_change=None if on_event is None else lambda: _dispatch(key, on_event))
    return None if on_event is not None else _event(key, value)


def _component(**args: Any) -> Any:
    """streamlit-code-editor's own component call (its code_editor() wrapper with the same
    defaults, plus on_change, which the wrapper doesn't pass through)."""
    import code_editor

    defaults = {"theme": "default", "shortcuts": "vscode", "focus": False, "allow_reset": False,
                "snippets": ["", ""], "keybindings": {}, "menu": {}, "info": {},
                "editor_props": {}}
    empty = {"id": "", "type": "", "lang": "", "text": "", "selected": "", "cursor": ""}
    return code_editor._component_func(**defaults, **args, default=empty)


def _dispatch(key: str, on_event: Callable[[EditorEvent], None]) -> None:
    event = _event(key, st.session_state.get(key))
    if event is not None:
        on_event(event)


def _event(key: str, value: Any) -> EditorEvent | None:
    if not isinstance(value, dict) or not value.get("id"):
        return None
    seen = f"{key}:seen"
    if st.session_state.get(seen) == value["id"]:
        return None
    st.session_state[seen] = value["id"]
    if value.get("type") not in ("submit", "format", "change"):
        return None
    return EditorEvent(kind=value["type"], text=str(value.get("text") or ""))
