"""The Workspace methods of olympus.semantic (a mixin: one facade, one file per concern)."""

from __future__ import annotations


class Semantic:
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
