"""Workspace methods: the performance dashboard (mixed in through olympus.ops.facade)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olympus.ops.stats import Stats


class DashboardMethods:
    """The space's performance figures for its admins (self.principal, self.owner)."""

    def stats(self, *, days: int = 30, now: datetime | None = None) -> "Stats":
        """p50/p95/p99 per connection and day, slowest queries, errors, cache, users (admins)."""
        from olympus.errors import ConfigError
        from olympus.ops import stats

        self.principal.require("members")
        if not 1 <= days <= 366:
            raise ConfigError(f"days must be between 1 and 366, not {days}.", fields=("days",))
        now = now or datetime.now(timezone.utc)
        names = {r.id: r.name for r in self.store.list_connections(self.owner)}
        rows = stats.load(self.store, self.owner, days=days, now=now)
        return stats.compute(rows, names, now - timedelta(days=days))
