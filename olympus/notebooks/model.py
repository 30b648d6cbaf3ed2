"""Notebook documents: frozen cells and parameters, changed only through pure functions that
return a new Notebook (the UI, CLI and store all see the same checked shape)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping

from olympus.errors import ConfigError

CELL_KINDS = ("sql", "question", "note")
VIEW_KINDS = ("table", "chart", "value")
PARAM_KINDS = ("date", "date_range", "number", "text", "choice")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
MAX_CELLS = 500


@dataclass(frozen=True)
class ResultView:
    """How a cell's result is shown: a table, a chart (an olympus.charts.ChartSpec dict) or
    one value."""

    kind: str = "table"
    chart: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Cell:
    """One cell; `name` is how later cells read its result (`{{name}}`)."""

    id: str
    kind: str
    name: str
    connection: str | None = None
    sql: str = ""
    question: str = ""
    markdown: str = ""
    view: ResultView = field(default_factory=ResultView)
    collapsed: bool = False


@dataclass(frozen=True)
class Param:
    """A notebook input used as `{{name}}`; bound as a driver parameter, never pasted."""

    name: str
    kind: str
    label: str = ""
    default: Any = None  # JSON-friendly: "2024-01-01", ["2024-01-01", "2024-12-31"], 5, "x"
    choices_sql: str = ""  # kind "choice": a query whose first column lists the choices
    connection: str | None = None  # where choices_sql runs


@dataclass(frozen=True)
class Notebook:
    """A named, ordered list of cells plus parameters in one space."""

    id: str
    space: str
    name: str
    cells: tuple[Cell, ...] = ()
    params: tuple[Param, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 0  # the newest saved version (0: none yet)

    def cell(self, ref: str) -> Cell:
        return self.cells[index_of(self, ref)]

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise ConfigError(f"No parameter named {name!r} in notebook {self.name!r}.",
                          title="No such parameter", fields=("param",))


# ---- checks ----------------------------------------------------------------------------------
def check_name(name: Any, what: str = "cell") -> str:
    """A name usable as {{name}}: letters, digits and _, not starting with a digit."""
    text = str(name or "").strip()
    if not NAME.fullmatch(text):
        raise ConfigError(f"{text!r} is not a valid {what} name.", title="Invalid name",
                          fields=("name",),
                          suggestion="Use letters, digits and _ (up to 63), starting with a "
                                     "letter or _, e.g. monthly_loans.")
    return text


def notebook_name(name: Any) -> str:
    """A notebook's display name: any text, trimmed, 1-200 characters."""
    text = " ".join(str(name or "").split())
    if not text or len(text) > 200:
        raise ConfigError("A notebook needs a name of 1 to 200 characters.",
                          title="Invalid name", fields=("name",))
    return text


def check(notebook: Notebook) -> Notebook:
    """Every cell and parameter well-formed and every name unique (cells and params share
    the {{name}} namespace)."""
    if len(notebook.cells) > MAX_CELLS:
        raise ConfigError(f"A notebook holds at most {MAX_CELLS} cells.", title="Too many cells")
    seen: set[str] = set()
    for item in (*notebook.cells, *notebook.params):
        is_cell = isinstance(item, Cell)
        name = check_name(item.name, "cell" if is_cell else "parameter")
        if name.lower() in seen:
            raise ConfigError(f"The name {name!r} is used twice in this notebook.",
                              title="Name already used", fields=("name",),
                              suggestion="Cells and parameters need names of their own.")
        seen.add(name.lower())
        _check_cell(item) if is_cell else _check_param(item)
    return notebook


def _check_cell(cell: Cell) -> None:
    if cell.kind not in CELL_KINDS:
        raise ConfigError(f"Unknown cell kind {cell.kind!r}.", fields=("kind",),
                          suggestion=f"Cell kinds: {', '.join(CELL_KINDS)}.")
    if cell.view.kind not in VIEW_KINDS:
        raise ConfigError(f"Unknown result view {cell.view.kind!r}.", fields=("view",),
                          suggestion=f"Views: {', '.join(VIEW_KINDS)}.")
    if cell.view.chart is not None and not isinstance(cell.view.chart, Mapping):
        raise ConfigError("A cell's chart must be a chart spec (mark, x, y...).",
                          fields=("view",))


def _check_param(param: Param) -> None:
    if param.kind not in PARAM_KINDS:
        raise ConfigError(f"Unknown parameter kind {param.kind!r}.", fields=("kind",),
                          suggestion=f"Parameter kinds: {', '.join(PARAM_KINDS)}.")


# ---- building --------------------------------------------------------------------------------
def new_id() -> str:
    return uuid.uuid4().hex[:12]


def new_cell(kind: str, *, name: str, **values: Any) -> Cell:
    view = values.pop("view", None)
    if isinstance(view, Mapping):
        view = ResultView(str(view.get("kind") or "table"), view.get("chart"))
    return Cell(id=values.pop("id", None) or new_id(), kind=kind, name=name,
                view=view or ResultView(), **values)


def free_name(notebook: Notebook, stem: str = "cell") -> str:
    """The first of stem_1, stem_2, ... not used by a cell or parameter."""
    taken = {c.name.lower() for c in notebook.cells} | {p.name.lower() for p in notebook.params}
    stem = re.sub(r"\W+", "_", stem).strip("_") or "cell"
    stem = stem if NAME.fullmatch(stem) else f"c_{stem}"
    number = 1
    while f"{stem}_{number}".lower() in taken:
        number += 1
    return f"{stem}_{number}"


def index_of(notebook: Notebook, ref: str) -> int:
    """A cell's position by id or name."""
    for i, cell in enumerate(notebook.cells):
        if ref in (cell.id, cell.name):
            return i
    raise ConfigError(f"No cell named {ref!r} in notebook {notebook.name!r}.",
                      title="No such cell", fields=("cell",))


# ---- edits (each returns a new, checked Notebook) ----------------------------------------------
def add_cell(notebook: Notebook, cell: Cell, *, at: int | None = None) -> Notebook:
    cells = list(notebook.cells)
    cells.insert(len(cells) if at is None else max(0, min(at, len(cells))), cell)
    return check(replace(notebook, cells=tuple(cells)))


def update_cell(notebook: Notebook, ref: str, **changes: Any) -> Notebook:
    """Change a cell's fields (a view may be given as a dict); its id stays."""
    i = index_of(notebook, ref)
    changes.pop("id", None)
    if isinstance(changes.get("view"), Mapping):
        view = changes["view"]
        changes["view"] = ResultView(str(view.get("kind") or "table"), view.get("chart"))
    cells = list(notebook.cells)
    cells[i] = replace(cells[i], **changes)
    return check(replace(notebook, cells=tuple(cells)))


def rename_cell(notebook: Notebook, ref: str, new_name: str) -> Notebook:
    """Rename a cell and every `{{old}}` that reads it in the cells below."""
    from olympus.notebooks.params import find_markers

    i = index_of(notebook, ref)
    old, new = notebook.cells[i].name, check_name(new_name)
    cells = list(notebook.cells)
    cells[i] = replace(cells[i], name=new)
    for j in range(i + 1, len(cells)):
        sql, out, last = cells[j].sql, [], 0
        for marker in find_markers(sql):
            if marker.root == old:
                out += [sql[last:marker.start], "{{" + new + "}}"]
                last = marker.end
        if out:
            cells[j] = replace(cells[j], sql="".join(out) + sql[last:])
    return check(replace(notebook, cells=tuple(cells)))


def move_cell(notebook: Notebook, ref: str, to: int) -> Notebook:
    """Move a cell to position `to` (clamped to the notebook)."""
    cells = list(notebook.cells)
    cell = cells.pop(index_of(notebook, ref))
    cells.insert(max(0, min(int(to), len(cells))), cell)
    return replace(notebook, cells=tuple(cells))


def duplicate_cell(notebook: Notebook, ref: str) -> Notebook:
    """A copy right below, under a fresh id and name."""
    i = index_of(notebook, ref)
    source = notebook.cells[i]
    copy = replace(source, id=new_id(), name=free_name(notebook, source.name))
    return add_cell(notebook, copy, at=i + 1)


def delete_cell(notebook: Notebook, ref: str) -> Notebook:
    i = index_of(notebook, ref)
    return replace(notebook, cells=notebook.cells[:i] + notebook.cells[i + 1:])


def collapse_cell(notebook: Notebook, ref: str, collapsed: bool = True) -> Notebook:
    return update_cell(notebook, ref, collapsed=bool(collapsed))


def set_param(notebook: Notebook, param: Param) -> Notebook:
    """Add a parameter, or replace the one of the same name."""
    params = [p for p in notebook.params if p.name != param.name]
    at = next((i for i, p in enumerate(notebook.params) if p.name == param.name), len(params))
    params.insert(at, param)
    return check(replace(notebook, params=tuple(params)))


def remove_param(notebook: Notebook, name: str) -> Notebook:
    notebook.param(name)
    return replace(notebook, params=tuple(p for p in notebook.params if p.name != name))
