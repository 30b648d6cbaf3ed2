"""Demo database schema: one declaration yields DDL, keys and business comments together."""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    """One column: name, SQL type with constraints, and what it means to the business."""

    name: str
    sql: str
    comment: str


class Table(NamedTuple):
    """One table: name, business description and columns, declared in foreign-key order."""

    name: str
    comment: str
    columns: tuple[Column, ...]


def _c(name: str, sql: str, comment: str) -> Column:
    return Column(name, sql, comment)


_MONEY = "DECIMAL(14,2)"

TABLES: tuple[Table, ...] = (
    Table("branches", "Olympus Lending branch offices, where loans are originated and serviced.", (
        _c("branch_id", "INTEGER PRIMARY KEY", "Unique branch identifier."),
        _c("branch_name", "VARCHAR NOT NULL", "Branch display name, e.g. 'Denver LoDo'."),
        _c("region", "VARCHAR NOT NULL",
           "Sales region: Northeast, Southeast, Midwest, Southwest or West."),
        _c("city", "VARCHAR NOT NULL", "City where the branch is located."),
        _c("state", "VARCHAR NOT NULL", "Two-letter US state code of the branch."),
        _c("opened_date", "DATE NOT NULL", "Date the branch opened for business."),
        _c("manager_name", "VARCHAR NOT NULL", "Current branch manager."),
    )),
    Table("loan_officers", "Employees who originate loans; each officer works at one branch.", (
        _c("officer_id", "INTEGER PRIMARY KEY", "Unique loan officer identifier."),
        _c("branch_id", "INTEGER NOT NULL REFERENCES branches(branch_id)",
           "Branch the officer works at."),
        _c("full_name", "VARCHAR NOT NULL", "Officer's first and last name."),
        _c("title", "VARCHAR NOT NULL",
           "Job title: Loan Officer, Senior Loan Officer or Mortgage Specialist."),
        _c("hire_date", "DATE NOT NULL", "Date the officer joined; loans come only after it."),
    )),
    Table("loan_products", "Catalog of loan products offered, with pricing and term limits.", (
        _c("product_id", "INTEGER PRIMARY KEY", "Unique product identifier."),
        _c("product_name", "VARCHAR NOT NULL", "Marketing name of the product."),
        _c("category", "VARCHAR NOT NULL",
           "Product family: Personal, Auto, Mortgage, Small Business or Credit Line."),
        _c("is_secured", "BOOLEAN NOT NULL", "True when the loan is backed by collateral."),
        _c("min_rate", "DECIMAL(5,2) NOT NULL", "Lowest annual interest rate offered, in percent."),
        _c("max_rate", "DECIMAL(5,2) NOT NULL", "Highest annual interest rate offered, percent."),
        _c("min_term_months", "INTEGER NOT NULL", "Shortest repayment term, in months."),
        _c("max_term_months", "INTEGER NOT NULL", "Longest repayment term, in months."),
        _c("min_amount", f"{_MONEY} NOT NULL", "Smallest loan amount offered, in USD."),
        _c("max_amount", f"{_MONEY} NOT NULL", "Largest loan amount offered, in USD."),
        _c("launched_date", "DATE NOT NULL", "Date the product became available."),
    )),
    Table("customers", "Borrowers: consumers and small businesses with at least one loan.", (
        _c("customer_id", "INTEGER PRIMARY KEY", "Unique customer identifier."),
        _c("full_name", "VARCHAR NOT NULL", "Customer name (business owner for Small Business)."),
        _c("segment", "VARCHAR NOT NULL", "Customer segment: Consumer, Premier or Small Business."),
        _c("credit_score", "INTEGER NOT NULL", "FICO credit score at signup (300-850)."),
        _c("credit_score_band", "VARCHAR NOT NULL",
           "FICO band at signup: Poor (<580), Fair (580-669), Good (670-739), "
           "Very Good (740-799), Exceptional (800+)."),
        _c("annual_income", f"{_MONEY} NOT NULL", "Stated annual income at signup, in USD."),
        _c("income_band", "VARCHAR NOT NULL",
           "Annual income band: <$40k, $40k-$75k, $75k-$125k, $125k-$200k, $200k+."),
        _c("city", "VARCHAR NOT NULL", "City of residence (near the home branch)."),
        _c("state", "VARCHAR NOT NULL", "Two-letter US state code of residence."),
        _c("region", "VARCHAR NOT NULL", "Sales region of residence (same as the home branch)."),
        _c("home_branch_id", "INTEGER NOT NULL REFERENCES branches(branch_id)",
           "Branch that owns the customer relationship."),
        _c("signup_date", "DATE NOT NULL", "Date the customer relationship started."),
    )),
    Table("marketing_campaigns", "Marketing campaigns; loans they brought in point to them.", (
        _c("campaign_id", "INTEGER PRIMARY KEY", "Unique campaign identifier."),
        _c("campaign_name", "VARCHAR NOT NULL", "Campaign name."),
        _c("channel", "VARCHAR NOT NULL",
           "Channel: Email, Paid Search, Direct Mail, Social, TV or Referral."),
        _c("target_category", "VARCHAR NOT NULL", "Loan product category the campaign promotes."),
        _c("start_date", "DATE NOT NULL", "First day of the campaign."),
        _c("end_date", "DATE NOT NULL", "Last day of the campaign."),
        _c("budget_usd", f"{_MONEY} NOT NULL", "Planned campaign spend, in USD."),
    )),
    Table("loans", "One row per originated loan, with its state as of the 2025-12-31 snapshot.", (
        _c("loan_id", "INTEGER PRIMARY KEY", "Unique loan identifier, rising with origination."),
        _c("customer_id", "INTEGER NOT NULL REFERENCES customers(customer_id)", "Borrower."),
        _c("product_id", "INTEGER NOT NULL REFERENCES loan_products(product_id)", "Loan product."),
        _c("branch_id", "INTEGER NOT NULL REFERENCES branches(branch_id)",
           "Originating branch (the borrower's home branch)."),
        _c("officer_id", "INTEGER NOT NULL REFERENCES loan_officers(officer_id)",
           "Loan officer who originated the loan."),
        _c("campaign_id", "INTEGER REFERENCES marketing_campaigns(campaign_id)",
           "Marketing campaign credited with the loan; NULL when organic."),
        _c("origination_date", "DATE NOT NULL", "Date the loan was funded."),
        _c("principal", f"{_MONEY} NOT NULL", "Original loan amount, in USD."),
        _c("interest_rate", "DECIMAL(5,2) NOT NULL", "Annual interest rate (APR), in percent."),
        _c("term_months", "INTEGER NOT NULL", "Contractual repayment term, in months."),
        _c("monthly_payment", f"{_MONEY} NOT NULL", "Scheduled monthly installment, in USD."),
        _c("status", "VARCHAR NOT NULL",
           "Status at snapshot: current, late (1-89 days past due), default (90+ days past due), "
           "paid_off, or charged_off (written off after 180 days past due)."),
        _c("outstanding_principal", f"{_MONEY} NOT NULL",
           "Unpaid principal at snapshot, in USD; 0 when paid off or charged off."),
        _c("closed_date", "DATE", "Date the loan was paid off or charged off; NULL while open."),
        _c("charged_off_amount", _MONEY,
           "Principal written off as a loss, in USD; NULL unless charged off."),
    )),
    Table("payments", "Monthly installments due on each loan by the snapshot, and what was paid.", (
        _c("payment_id", "INTEGER PRIMARY KEY", "Unique payment identifier."),
        _c("loan_id", "INTEGER NOT NULL REFERENCES loans(loan_id)", "Loan the installment is for."),
        _c("installment_number", "INTEGER NOT NULL", "1 for the first installment of the loan."),
        _c("due_date", "DATE NOT NULL", "Date the installment was due."),
        _c("paid_date", "DATE", "Date it was paid; NULL when missed."),
        _c("amount_due", f"{_MONEY} NOT NULL", "Scheduled installment amount, in USD."),
        _c("amount_paid", f"{_MONEY} NOT NULL",
           "Amount received, in USD; 0 when missed; a payoff includes the remaining balance."),
        _c("status", "VARCHAR NOT NULL",
           "on_time (paid by the due date), late (paid after it) or missed (not paid)."),
        _c("payment_type", "VARCHAR NOT NULL",
           "installment, or payoff when the borrower repaid the whole balance early."),
    )),
    Table("delinquencies", "Episodes where a loan fell 30+ days past due, and how each ended.", (
        _c("delinquency_id", "INTEGER PRIMARY KEY", "Unique delinquency episode identifier."),
        _c("loan_id", "INTEGER NOT NULL REFERENCES loans(loan_id)", "Delinquent loan."),
        _c("start_date", "DATE NOT NULL", "Due date of the first missed installment."),
        _c("days_past_due_bucket", "VARCHAR NOT NULL",
           "Worst bucket reached: '30' (30-59 days), '60' (60-89 days) or '90+'."),
        _c("max_days_past_due", "INTEGER NOT NULL", "Most days past due reached in the episode."),
        _c("amount_past_due", f"{_MONEY} NOT NULL", "Most money overdue at once, in USD."),
        _c("resolved_date", "DATE", "Date the episode ended; NULL while still open."),
        _c("outcome", "VARCHAR NOT NULL",
           "cured (caught up), restructured (caught up under a payment plan), "
           "charged_off (written off) or open."),
    )),
)


def ddl(table: Table) -> str:
    """CREATE TABLE text, so keys and types live next to their meaning."""
    cols = ",\n  ".join(f"{c.name} {c.sql}" for c in table.columns)
    return f"CREATE TABLE {table.name} (\n  {cols}\n)"


def comments(table: Table) -> list[str]:
    """COMMENT ON statements, so schema browsers and the agent see business meaning."""
    def q(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"
    out = [f"COMMENT ON TABLE {table.name} IS {q(table.comment)}"]
    out += [f"COMMENT ON COLUMN {table.name}.{c.name} IS {q(c.comment)}" for c in table.columns]
    return out
