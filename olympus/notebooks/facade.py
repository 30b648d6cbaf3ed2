"""The Workspace methods of olympus.notebooks: one mixin composed of one class per concern."""

from __future__ import annotations

from olympus.notebooks.facade_notebooks import NotebookMethods
from olympus.notebooks.facade_history import HistoryMethods


class Notebooks(NotebookMethods, HistoryMethods):
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
