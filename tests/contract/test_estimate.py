"""The cost preview's estimate on every database: EXPLAIN (never ANALYZE) or BigQuery's dry run
reads the fixture tables, through the same guard and read-only session as a query."""

from __future__ import annotations

import pytest

from olympus.connectors.plans import Plan
from olympus.errors import UnsafeSQL

JOIN = ("SELECT c.name, SUM(o.amount) FROM {p}customers c JOIN {p}orders o "
        "ON o.customer_id = c.id WHERE c.active = {true} GROUP BY c.name")


def _sql(backend) -> str:
    true = "1" if backend.name == "mysql" else "TRUE"
    return JOIN.format(p=backend.table_prefix, true=true)


def test_estimate_reads_the_tables(backend):
    with backend.gap("explain"):
        plan = backend.connector.estimate(_sql(backend), timeout_s=30)
        assert isinstance(plan, Plan)
        if backend.name == "bigquery":  # a dry run: bytes, no plan tree
            assert plan.bytes is not None and plan.bytes >= 0 and not plan.scans
            return
        scanned = {s.table.split(".")[-1].strip('"').lower() for s in plan.scans}
        assert {"customers", "orders"} <= scanned, plan
        if backend.name in ("postgresql", "redshift", "duckdb", "mysql"):
            assert plan.rows is not None and plan.rows >= 0, plan
        if backend.name in ("postgresql", "redshift"):
            assert plan.cost is not None and plan.cost > 0, plan


def test_estimate_goes_through_the_guard(backend):
    """A write is refused before any EXPLAIN reaches the database (nothing runs either way)."""
    with pytest.raises(UnsafeSQL):
        backend.connector.estimate(f"DELETE FROM {backend.t('orders')}", timeout_s=30)
    with pytest.raises(UnsafeSQL):
        backend.connector.estimate(f"SELECT 1; DROP TABLE {backend.t('orders')}", timeout_s=30)
