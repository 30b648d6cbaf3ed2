"""The Workspace methods of olympus.ops: one mixin composed of one class per concern."""

from __future__ import annotations

from olympus.ops.facade_schedules import ScheduleMethods
from olympus.ops.facade_dashboard import DashboardMethods
from olympus.ops.facade_tokens import TokenMethods


class Operations(ScheduleMethods, DashboardMethods, TokenMethods):
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
