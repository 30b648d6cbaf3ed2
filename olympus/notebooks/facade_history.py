"""Workspace methods: history across sessions and the result cache (mixed in through olympus.notebooks.facade)."""

from __future__ import annotations


class HistoryMethods:
    """History across sessions and the result cache for the signed-in user and space (self.principal, self.owner)."""
