"""The Workspace methods of olympus.ops (a mixin: one facade, one file per concern)."""

from __future__ import annotations


class Operations:
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
