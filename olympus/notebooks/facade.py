"""The Workspace methods of olympus.notebooks (a mixin: one facade, one file per concern)."""

from __future__ import annotations


class Notebooks:
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
