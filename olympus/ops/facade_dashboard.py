"""Workspace methods: the performance dashboard and the cost preview (mixed in through
olympus.ops.facade)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olympus.ops.cost import Preview
    from olympus.ops.health import Health
    from olympus.ops.stats import Stats

PREVIEW_TIMEOUT_S = 15.0  # an EXPLAIN or a dry run that takes longer gives no estimate


class DashboardMethods:
    """The space's performance figures for its admins; a query's cost before it runs."""

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

    def preview(self, name: str, sql: str) -> "Preview":
        """Estimated bytes/price or rows/cost (EXPLAIN, never ANALYZE; BigQuery's dry run) and
        hints; `confirm` says what to ask above this connection's thresholds. The guard
        refuses here exactly as it would on running."""
        from olympus.connectors.worker import EngineCrashed
        from olympus.errors import OlympusError, UnsafeSQL
        from olympus.ops import cost
        from olympus.ops.hints import Facts, hints

        self.principal.require("query")
        record = self.get(name)
        connector = self.connector(record)
        started = time.perf_counter()
        timeout = min(self.settings.statement_timeout_s, PREVIEW_TIMEOUT_S)
        try:
            plan = connector.estimate(sql, timeout_s=timeout)
        except (UnsafeSQL, EngineCrashed):  # refused, or the engine died planning it: say so
            raise
        except OlympusError as exc:  # advisory: a missing estimate never blocks a query
            return cost.Preview(None, None, None, note=f"No estimate: {exc.message}",
                                elapsed_ms=(time.perf_counter() - started) * 1000)
        catalog = self._cached_catalog(record)
        facts = Facts(plan, cost.table_rows(catalog), _widths(catalog),
                      self._indexes(connector, catalog, timeout),
                      _partitions(connector, sql, timeout))
        read = cost.rows_read(plan, catalog)
        price = None if plan.bytes is None or connector.price_per_tib_usd is None else \
            plan.bytes / 1024 ** 4 * connector.price_per_tib_usd
        limit_bytes, limit_rows = self._thresholds(record.id)
        return cost.Preview(plan, read, price, hints(sql, connector.dialect, facts),
                            cost.question(plan, read, price, limit_bytes, limit_rows),
                            elapsed_ms=(time.perf_counter() - started) * 1000,
                            thresholds=(limit_bytes, limit_rows))

    def preview_thresholds(self, name: str) -> tuple[int, int]:
        """(bytes, rows) above which the app asks before running this connection's queries."""
        return self._thresholds(self.get(name).id)

    def _thresholds(self, connection_id: str) -> tuple[int, int]:
        from olympus.ops import cost, ops_store

        row = ops_store.thresholds(self.store, connection_id)
        return (row[0] or cost.DEFAULT_CONFIRM_BYTES, row[1] or cost.DEFAULT_CONFIRM_ROWS)

    def set_preview_thresholds(self, name: str, *, confirm_bytes: int | None = None,
                               confirm_rows: int | None = None) -> None:
        """Admins: per-connection thresholds (None: the default)."""
        from olympus.errors import ConfigError
        from olympus.ops import ops_store

        self.principal.require("manage")
        for label, value in (("confirm_bytes", confirm_bytes), ("confirm_rows", confirm_rows)):
            if value is not None and value <= 0:
                raise ConfigError(f"{label} must be positive.", fields=(label,))
        ops_store.set_thresholds(self.store, self.get(name).id, confirm_bytes, confirm_rows)

    def health(self) -> dict[str, "Health"]:
        """The latest health check of each connection this user sees, by name."""
        from olympus.ops import health

        self.principal.require("view")
        records = {r.id: r.name for r in self.connections()}
        return {records[i]: h for i, h in health.latest(self.store, records).items()}

    def check_health(self, name: str) -> "Health":
        """Check one connection now (the Test button's lighter sibling), recorded for everyone."""
        from olympus.ops import health

        self.principal.require("view")
        return health.check(self.store, self.get(name))

    def _cached_catalog(self, record):
        """The catalog already cached for this connection (the preview never reads a new one)."""
        from olympus.catalog import CacheKey
        from olympus.workspace import _version

        return self.catalog.peek(CacheKey(self.owner, record.id, _version(record)))

    def _indexes(self, connector, catalog, timeout: float) -> dict[str, frozenset[str]]:
        """Leading index columns from the database, plus each primary key's first column."""
        from olympus.errors import OlympusError

        try:
            found = dict(connector.indexed_columns(timeout_s=timeout))
        except OlympusError:
            found = {}
        for table in (catalog.tables if catalog is not None else ()):
            if table.primary_key:
                key = table.name.lower()
                found[key] = found.get(key, frozenset()) | {table.primary_key[0].lower()}
        return found


def _widths(catalog) -> dict[str, int]:
    return {t.name.lower(): len(t.columns) for t in catalog.tables} if catalog is not None else {}


def _partitions(connector, sql: str, timeout: float) -> dict[str, str]:
    """Partitioning columns of the tables the SQL reads, where the engine bills by partition."""
    from sqlglot import exp

    from olympus.connectors.base import Connector
    from olympus.connectors.plans import parsed

    if type(connector).partition_columns is Connector.partition_columns:
        return {}  # this engine has no partition pruning worth a hint
    tree = parsed(sql, connector.dialect)
    if tree is None:
        return {}
    names = {".".join(p for p in (t.catalog, t.db, t.name) if p) for t in tree.find_all(exp.Table)}
    return connector.partition_columns(sorted(names), timeout_s=timeout) if names else {}
