"""Workspace methods: notebooks: cells, versions, run, export (mixed in through olympus.notebooks.facade)."""

from __future__ import annotations


class NotebookMethods:
    """Notebooks: cells, versions, run, export for the signed-in user and space (self.principal, self.owner)."""
