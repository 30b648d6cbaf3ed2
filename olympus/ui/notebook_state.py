"""The Notebooks page's session state: the open notebook's parameter values, this session's cell
results and the cell being edited. Results live in the session (never a global cache); a new
session shows a fresh cell's last result again through Workspace.run_sql, which serves it from
the result cache within the connection's lifetime."""

from __future__ import annotations

from typing import Any

import streamlit as st

from olympus.notebooks.model import Notebook
from olympus.ui import state

MAX_KEPT = 3  # notebooks whose results a session keeps (older ones are dropped first)
LOAD_AT_MOST = 60  # cells a new session re-shows on open (from the result cache)


def values(owner: str, nb: Notebook) -> dict[str, Any]:
    """The parameter values chosen in this session (raw: what the inputs hold)."""
    return state.get(owner, f"nb:values:{nb.id}") or {}


def set_value(owner: str, nb: Notebook, name: str, value: Any) -> None:
    chosen = dict(values(owner, nb))
    chosen[name] = value
    state.put(owner, f"nb:values:{nb.id}", chosen)


def results(owner: str, nb_id: str) -> dict[str, Any]:
    """cell id -> the CellRun this session last saw (mutable: the page adds to it)."""
    kept: dict[str, dict] = st.session_state.setdefault(f"olympus:{owner}:nb:results", {})
    if nb_id not in kept:
        kept[nb_id] = {}
        while len(kept) > MAX_KEPT:
            kept.pop(next(iter(kept)))
    return kept[nb_id]


def keep(owner: str, nb_id: str, run: Any) -> None:
    results(owner, nb_id)[run.cell_id] = run


def forget(owner: str, nb_id: str, cell_id: str) -> None:
    results(owner, nb_id).pop(cell_id, None)


def editing(owner: str) -> str | None:
    return state.get(owner, "nb:editing")


def edit(owner: str, cell_id: str | None) -> None:
    state.put(owner, "nb:editing", cell_id)


def reset_edits(owner: str) -> None:
    """After a restore: close the editor and forget its widgets' values (they would otherwise
    write the old text back over the restored notebook)."""
    edit(owner, None)
    for key in [k for k in st.session_state if str(k).startswith("nbe:")]:
        del st.session_state[key]


def loaded(owner: str, nb_id: str) -> bool:
    """Whether this session has shown the notebook's stored results once already."""
    done = st.session_state.setdefault(f"olympus:{owner}:nb:loaded", set())
    if nb_id in done:
        return True
    done.add(nb_id)
    return False


def load_fresh(ws, nb: Notebook, chosen: dict[str, Any], stale: dict[str, str]) -> None:
    """A new session: cells whose last run is still fresh show the result stored with that run
    (nothing runs, so members who may only view see them too)."""
    from olympus.notebooks.run import CellRun

    try:
        stored = ws.cell_results(nb.id)
    except Exception:  # the notebook went away meanwhile: the page says so elsewhere
        return
    fresh = [c for c in nb.cells if stale.get(c.name) == "fresh" and not c.collapsed]
    for cell in fresh[:LOAD_AT_MOST]:
        result = stored.get(cell.name)
        if result is not None:
            keep(ws.owner, nb.id, CellRun(cell.name, cell.id, cell.kind, "ok", result=result,
                                          sql=result.sql))
