"""A notebook's JSON document (what the store keeps per notebook and per version)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Mapping

from olympus.errors import ConfigError
from olympus.notebooks.model import Cell, Notebook, Param, ResultView, check

DOC_FORMAT = 1
_CELL_FIELDS = ("id", "kind", "name", "connection", "sql", "question", "markdown", "collapsed")
_PARAM_FIELDS = ("name", "kind", "label", "default", "choices_sql", "connection")


def to_doc(notebook: Notebook) -> dict[str, Any]:
    """Cells and parameters only: id, space, name and stamps live in their own columns."""
    return {"format": DOC_FORMAT,
            "cells": [_cell_dict(c) for c in notebook.cells],
            "params": [asdict(p) for p in notebook.params]}


def dumps(notebook: Notebook) -> str:
    return json.dumps(to_doc(notebook), sort_keys=True, default=str)


def _cell_dict(cell: Cell) -> dict[str, Any]:
    out = {k: getattr(cell, k) for k in _CELL_FIELDS}
    out["view"] = {"kind": cell.view.kind,
                   "chart": dict(cell.view.chart) if cell.view.chart else None}
    return out


def from_doc(doc: Mapping[str, Any] | str, **identity: Any) -> Notebook:
    """The Notebook of a stored (or imported) document; unknown keys are ignored, a malformed
    document is a clear ConfigError."""
    try:
        data = json.loads(doc) if isinstance(doc, str) else dict(doc)
        cells = tuple(_cell(c) for c in data.get("cells") or ())
        params = tuple(Param(**{k: p.get(k) for k in _PARAM_FIELDS if k in p})
                       for p in data.get("params") or ())
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"This notebook document can't be read ({exc}).",
                          title="Broken notebook",
                          suggestion="Restore an earlier version of the notebook.") from None
    return check(Notebook(cells=cells, params=params, **identity))


def _cell(data: Mapping[str, Any]) -> Cell:
    values = {k: data[k] for k in _CELL_FIELDS if data.get(k) is not None}
    view = data.get("view") or {}
    return Cell(view=ResultView(str(view.get("kind") or "table"), view.get("chart") or None),
                **values)
