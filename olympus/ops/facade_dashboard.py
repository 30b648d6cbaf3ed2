"""Workspace methods: the performance dashboard, health, cost preview (mixed in through olympus.ops.facade)."""

from __future__ import annotations


class DashboardMethods:
    """The performance dashboard, health, cost preview for the signed-in user and space (self.principal, self.owner)."""
