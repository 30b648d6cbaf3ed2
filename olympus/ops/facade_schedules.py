"""Workspace methods: schedules, runs and alerts (mixed in through olympus.ops.facade)."""

from __future__ import annotations


class ScheduleMethods:
    """Schedules, runs and alerts for the signed-in user and space (self.principal, self.owner)."""
