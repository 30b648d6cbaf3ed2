"""A light HTML table (components v2, no iframe) for the Schema page's table list and columns.

A canvas data grid costs the browser ~30 ms to mount, most of a page switch; this table costs
~2 ms, wraps long types and references instead of cutting them, and a list row opens its table
on a click or (its name is a button) the keyboard. Cells travel as plain text; the JS draws them
with textContent only (table_assets/table.js)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import streamlit as st

COMPONENT = "olympus.plain_table"
ASSETS = Path(__file__).with_name("table_assets")


@dataclass(frozen=True)
class Col:
    """One column: its label, hover help, alignment, and whether long text is cut to one line
    (the whole of it on hover) instead of wrapping; widths follow the content."""

    key: str
    label: str | None = None
    help: str | None = None
    align: str = "left"
    clip: bool = False


def text(value: Any) -> str:
    """A cell as shown: nothing for None, thousands separators for whole numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def compact(value: int | None) -> list[str] | str:
    """A count as 13K / 2.1M with the exact figure on hover (row estimates)."""
    if value is None:
        return ""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            short = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return [f"{short}{suffix}", f"{value:,}"]
    return str(value)


def table_view(cols: Sequence[Col], rows: Sequence[Sequence[Any]], *, key: str, label: str,
               selected: int | None = None, on_open: Callable[[int], None] | None = None,
               max_height: int | None = None) -> None:
    """Draw the table; with `on_open`, rows are buttons and a click calls it with the row's
    index (once, before the rerun). `selected` is the row drawn open."""
    from olympus.ui.components import mounter

    data = {"columns": [{"key": c.key, "label": c.label or c.key, "help": c.help,
                         "align": c.align, "clip": c.clip} for c in cols],
            "rows": [[cell if isinstance(cell, list) else text(cell) for cell in row]
                     for row in rows],
            "label": label, "selectable": on_open is not None, "selected": selected,
            "maxHeight": max_height}
    callback = (lambda: None) if on_open is None else functools.partial(_opened, key, on_open)
    mounter(COMPONENT, ASSETS, "table.js")(key=key, data=data, height="content",
                                            on_open_change=callback)


def _opened(key: str, on_open: Callable[[int], None]) -> None:
    """The click's row, handled once (a trigger id is never taken twice)."""
    from olympus.ui.components import fresh_trigger

    value = fresh_trigger(key, (st.session_state.get(key) or {}).get("open"))
    try:
        row = int(value["row"]) if value is not None else None
    except (KeyError, TypeError, ValueError):  # a malformed message: ignore it
        return
    if row is not None:
        on_open(row)
