"""The cost preview: what a query will scan (and cost, where billed) and hints, before it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from olympus.connectors.plans import Plan
from olympus.ops.hints import Hint

if TYPE_CHECKING:
    from olympus.catalog import Catalog

DEFAULT_CONFIRM_BYTES = 100 * 1024 ** 3  # 100 GiB scanned (about $0.61 on BigQuery on-demand)
DEFAULT_CONFIRM_ROWS = 50_000_000  # estimated rows read


@dataclass(frozen=True)
class Preview:
    """A query's estimate and hints; `confirm` is the question to ask before running, if any."""

    plan: Plan | None  # None: the engine gave no plan (see `note`)
    rows_read: float | None  # estimated rows the scans read
    price_usd: float | None
    hints: tuple[Hint, ...] = ()
    confirm: str | None = None
    note: str | None = None  # why there is no estimate
    elapsed_ms: float = 0.0
    thresholds: tuple[int, int] = field(default=(DEFAULT_CONFIRM_BYTES, DEFAULT_CONFIRM_ROWS))

    @property
    def summary(self) -> str:
        """One line: bytes and price, or rows and cost, as the engine estimates them."""
        if self.plan is None:
            return self.note or "No estimate."
        parts = []
        if self.plan.bytes is not None:
            parts.append(f"scans ~{size(self.plan.bytes)}")
        if self.price_usd is not None:
            parts.append(f"~${self.price_usd:,.2f}")
        if self.rows_read is not None:
            parts.append(f"reads ~{self.rows_read:,.0f} rows")
        if self.plan.rows is not None:
            parts.append(f"returns ~{self.plan.rows:,.0f} rows")
        if self.plan.cost is not None:
            parts.append(f"planner cost {self.plan.cost:,.0f}")
        return "Estimate: " + ", ".join(parts) if parts else "The plan gives no estimate."


def rows_read(plan: Plan, catalog: "Catalog | None") -> float | None:
    """Rows the scans read: a full scan reads the whole table (catalog estimate), others what
    the plan says they return."""
    sizes = table_rows(catalog)
    total, known = 0.0, False
    for scan in plan.scans:
        name = scan.table.split(".")[-1].strip('"').lower()
        rows = sizes.get(name) if scan.full else None
        rows = rows if rows is not None else scan.rows
        if rows is not None:
            total, known = total + rows, True
    return total if known else plan.rows


def table_rows(catalog: "Catalog | None") -> dict[str, int]:
    if catalog is None:
        return {}
    return {t.name.lower(): t.row_count_estimate for t in catalog.tables
            if t.row_count_estimate is not None}


def question(plan: Plan, read: float | None, price: float | None,
             confirm_bytes: int, confirm_rows: int) -> str | None:
    """'This will scan ~2.3 TB (~$11). Run anyway?' above a threshold; None below both."""
    if plan.bytes is not None and plan.bytes >= confirm_bytes:
        cost = f" (~${price:,.2f})" if price is not None else ""
        return f"This will scan ~{size(plan.bytes)}{cost}. Run anyway?"
    if read is not None and read >= confirm_rows:
        return f"This will read ~{read:,.0f} rows. Run anyway?"
    return None


def size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)
