"""The same small fixture schema in every dialect: customers/orders, keys, comments, 25 + 40 rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

N_CUSTOMERS, N_ORDERS = 25, 40


def customers() -> list[tuple]:
    return [(i, f"Customer {i:02d}", date(2024, 1, i), Decimal(i * 105) / 10, i % 2 == 0,
             datetime(2024, 1, i, 12, 30)) for i in range(1, N_CUSTOMERS + 1)]


def orders() -> list[tuple]:
    return [(j, (j - 1) % N_CUSTOMERS + 1, Decimal(j * 125) / 100, datetime(2024, 2, j % 28 + 1, 9))
            for j in range(1, N_ORDERS + 1)]


def _literal(value, *, dates: str, stamps: str, bools: tuple[str, str]) -> str:
    if isinstance(value, bool):
        return bools[value]
    if isinstance(value, datetime):
        return stamps.format(value.isoformat(sep=" "))
    if isinstance(value, date):
        return dates.format(value.isoformat())
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def inserts(table: str, rows: list[tuple], **style) -> list[str]:
    values = ", ".join("(" + ", ".join(_literal(v, **style) for v in row) + ")" for row in rows)
    return [f"INSERT INTO {table} VALUES {values}"]


def standard(*, text: str = "text", ts: str = "timestamp", comments: bool = True,
             prefix: str = "", bools=("false", "true")) -> list[str]:
    """PostgreSQL/DuckDB/SQLite/Snowflake-ish DDL (CREATE + COMMENT ON + INSERT)."""
    style = dict(dates="DATE '{}'", stamps="TIMESTAMP '{}'", bools=bools)
    ddl = [
        f"CREATE TABLE {prefix}customers (id integer PRIMARY KEY, name {text} NOT NULL, "
        f"signup date, balance numeric(10,2), active boolean, created_at {ts})",
        f"CREATE TABLE {prefix}orders (id integer PRIMARY KEY, customer_id integer NOT NULL "
        f"REFERENCES {prefix}customers(id), amount numeric(10,2), ordered_at {ts})",
        f"CREATE VIEW {prefix}customer_orders AS SELECT c.name, o.amount FROM {prefix}customers c "
        f"JOIN {prefix}orders o ON o.customer_id = c.id",
    ]
    if comments:
        ddl += [f"COMMENT ON TABLE {prefix}customers IS 'People who buy'",
                f"COMMENT ON COLUMN {prefix}customers.name IS 'Full name'"]
    return (ddl + inserts(f"{prefix}customers", customers(), **style)
            + inserts(f"{prefix}orders", orders(), **style))


def snowflake() -> list[str]:
    style = dict(dates="'{}'::date", stamps="'{}'::timestamp_ntz", bools=("false", "true"))
    return [
        "CREATE TABLE customers (id integer PRIMARY KEY, name varchar NOT NULL COMMENT 'Full name',"
        " signup date, balance number(10,2), active boolean, created_at timestamp_ntz)"
        " COMMENT = 'People who buy'",
        "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES "
        "customers(id), amount number(10,2), ordered_at timestamp_ntz)",
        "CREATE VIEW customer_orders AS SELECT c.name, o.amount FROM customers c "
        "JOIN orders o ON o.customer_id = c.id",
        *inserts("customers", customers(), **style), *inserts("orders", orders(), **style)]


def bigquery(dataset: str) -> list[str]:
    style = dict(dates="DATE '{}'", stamps="DATETIME '{}'", bools=("false", "true"))
    return [
        f"CREATE TABLE {dataset}.customers (id INT64 NOT NULL, name STRING NOT NULL "
        f"OPTIONS(description='Full name'), signup DATE, balance NUMERIC(10,2), active BOOL, "
        f"created_at DATETIME) OPTIONS(description='People who buy')",
        f"CREATE TABLE {dataset}.orders (id INT64 NOT NULL, customer_id INT64 NOT NULL, "
        f"amount NUMERIC(10,2), ordered_at DATETIME)",
        f"CREATE VIEW {dataset}.customer_orders AS SELECT c.name, o.amount FROM "
        f"{dataset}.customers c JOIN {dataset}.orders o ON o.customer_id = c.id",
        *inserts(f"{dataset}.customers", customers(), **style),
        *inserts(f"{dataset}.orders", orders(), **style)]


def mysql() -> list[str]:
    """MySQL/MariaDB: inline COMMENTs, a table-level FOREIGN KEY (MySQL ignores column-level
    REFERENCES), ANALYZE so InnoDB's row estimates are current."""
    style = dict(dates="DATE '{}'", stamps="TIMESTAMP '{}'", bools=("false", "true"))
    return [
        "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL COMMENT 'Full name', "
        "signup date, balance numeric(10,2), active boolean, created_at datetime) "
        "COMMENT = 'People who buy'",
        "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL, "
        "amount numeric(10,2), ordered_at datetime, "
        "FOREIGN KEY (customer_id) REFERENCES customers(id))",
        "CREATE VIEW customer_orders AS SELECT c.name, o.amount FROM customers c "
        "JOIN orders o ON o.customer_id = c.id",
        *inserts("customers", customers(), **style), *inserts("orders", orders(), **style),
        "ANALYZE TABLE customers, orders"]
