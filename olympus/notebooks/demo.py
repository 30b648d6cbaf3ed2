"""The example notebook on the Demo connection, created once on the first start: a date-range
parameter, cells that read earlier cells by {{name}}, two charts and notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from olympus.notebooks.model import Cell, Param, new_cell

if TYPE_CHECKING:
    from olympus.notebooks.model import Notebook
    from olympus.workspace import Workspace

DEMO_NOTEBOOK = "Lending portfolio review"
NOTEBOOK_FLAG = "demo_notebook"  # owner flag: the example notebook was created (once, ever)

_INTRO = """# Lending portfolio review

How much Olympus Lending originated in the chosen **period**, how the book is spread over
product categories, and how much of it was charged off. Change the period above and
*Run all*: every cell reads the one before it by name (`{{loans_in_period}}`), so one
filter drives the whole review."""

_CATEGORIES = """## Credit quality by product

Charge-off rate is the share of loans in the period that were charged off or are in
default. Unsecured products should show the highest rates."""

_CLOSING = """---
*Tip:* every cell's SQL is editable; a cell whose upstream changed is marked stale until
it runs again. Versions keep each saved state."""

LOANS_IN_PERIOD = """SELECT loan_id, origination_date, principal, interest_rate, status,
       product_id, branch_id
FROM loans
WHERE origination_date BETWEEN {{period.start}} AND {{period.end}}"""

MONTHLY_LOANS = """SELECT date_trunc('month', origination_date) AS month,
       count(*) AS loans,
       sum(principal) AS principal
FROM {{loans_in_period}}
GROUP BY 1
ORDER BY 1"""

BY_CATEGORY = """SELECT p.category,
       count(*) AS loans,
       round(avg(l.interest_rate), 2) AS avg_rate,
       round(100.0 * avg(CASE WHEN l.status IN ('charged_off', 'default') THEN 1 ELSE 0 END), 2)
         AS charge_off_pct
FROM {{loans_in_period}} AS l
JOIN loan_products AS p ON p.product_id = l.product_id
GROUP BY p.category
ORDER BY charge_off_pct DESC"""

TOTAL = """SELECT sum(principal) AS originated_usd FROM {{loans_in_period}}"""


def demo_cells(connection: str) -> tuple[Cell, ...]:
    sql = {"kind": "sql", "connection": connection}
    return (
        new_cell("note", name="intro", markdown=_INTRO),
        new_cell(**sql, name="loans_in_period", sql=LOANS_IN_PERIOD, collapsed=True),
        new_cell(**sql, name="originated", sql=TOTAL, view={"kind": "value"}),
        new_cell(**sql, name="monthly_loans", sql=MONTHLY_LOANS, view={
            "kind": "chart", "chart": {"mark": "bar", "x": "month", "y": "principal"}}),
        new_cell("note", name="categories_note", markdown=_CATEGORIES),
        new_cell(**sql, name="by_category", sql=BY_CATEGORY, view={
            "kind": "chart", "chart": {"mark": "bar", "x": "category", "y": "charge_off_pct"}}),
        new_cell("note", name="closing", markdown=_CLOSING),
    )


def demo_params() -> tuple[Param, ...]:
    return (Param("period", "date_range", "Origination period",
                  default=["2024-01-01", "2025-12-31"]),)


def ensure_demo_notebook(ws: "Workspace", connection: str) -> "Notebook | None":
    """Create the example notebook once per space (never again after a delete or restart);
    None when it was created before or its name is taken."""
    from olympus.errors import ConfigError

    if ws.store.has_flag(ws.owner, NOTEBOOK_FLAG) or not ws.principal.can("save"):
        return None
    try:
        created = ws.create_notebook(DEMO_NOTEBOOK, cells=demo_cells(connection),
                                     params=demo_params())
    except ConfigError:  # a notebook of that name exists already: leave it alone
        created = None
    ws.store.set_flag(ws.owner, NOTEBOOK_FLAG)
    return created
