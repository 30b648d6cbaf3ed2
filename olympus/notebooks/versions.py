"""What changed between two versions of a notebook: a unified diff per cell (difflib)."""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass

from olympus.notebooks.model import Cell, Notebook


@dataclass(frozen=True)
class CellDiff:
    """One cell's change; cells are matched by id, so a renamed cell is 'changed'."""

    name: str  # the newer name (the old one for a removed cell)
    status: str  # added | removed | changed | moved | same
    text: str  # unified diff of the cell's SQL / question / markdown ('' when same)


@dataclass(frozen=True)
class NotebookDiff:
    old_label: str
    new_label: str
    cells: tuple[CellDiff, ...]
    params: str  # unified diff of the parameters ('' when same)

    @property
    def changed(self) -> bool:
        return bool(self.params) or any(c.status != "same" for c in self.cells)

    @property
    def text(self) -> str:
        """The whole diff as one unified-diff text."""
        parts = [c.text for c in self.cells if c.text] + ([self.params] if self.params else [])
        return "\n".join(parts)


def diff(old: Notebook, new: Notebook, *, old_label: str = "old",
         new_label: str = "new") -> NotebookDiff:
    old_by_id = {c.id: c for c in old.cells}
    new_ids = {c.id for c in new.cells}
    old_order = [c.id for c in old.cells if c.id in new_ids]
    new_order = [c.id for c in new.cells if c.id in old_by_id]
    cells = []
    for cell in new.cells:
        before = old_by_id.get(cell.id)
        moved = before is not None and old_order.index(cell.id) != new_order.index(cell.id)
        cells.append(_cell_diff(before, cell, old_label, new_label, moved=moved))
    cells += [_cell_diff(c, None, old_label, new_label) for c in old.cells if c.id not in new_ids]
    return NotebookDiff(old_label, new_label, tuple(cells),
                        _unified(_params_text(old), _params_text(new),
                                 f"{old_label}/parameters", f"{new_label}/parameters"))


def _cell_diff(old: Cell | None, new: Cell | None, old_label: str, new_label: str, *,
               moved: bool = False) -> CellDiff:
    name = (new or old).name
    text = _unified(_body(old), _body(new), f"{old_label}/{old.name if old else name}",
                    f"{new_label}/{name}")
    if old is None:
        return CellDiff(name, "added", text)
    if new is None:
        return CellDiff(name, "removed", text)
    status = "changed" if text else "moved" if moved else "same"
    return CellDiff(name, status, text)


def _body(cell: Cell | None) -> str:
    """The text a person edits in a cell, with its settings as SQL comments."""
    if cell is None:
        return ""
    head = [f"-- {cell.kind} cell {cell.name}"]
    if cell.connection:
        head.append(f"-- connection: {cell.connection}")
    if cell.kind == "question":
        head.append(f"-- question: {cell.question}")
    if cell.view.kind != "table" or cell.view.chart:
        head.append(f"-- view: {json.dumps({'kind': cell.view.kind, 'chart': cell.view.chart}, sort_keys=True)}")
    body = cell.markdown if cell.kind == "note" else cell.sql
    return "\n".join(head + [body]) + "\n"


def _params_text(notebook: Notebook) -> str:
    return "".join(json.dumps(asdict(p), sort_keys=True, default=str) + "\n"
                   for p in notebook.params)


def _unified(a: str, b: str, a_name: str, b_name: str) -> str:
    lines = difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                 fromfile=a_name, tofile=b_name)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
