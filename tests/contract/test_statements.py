"""Read-only statements that used to be refused now run, read-only, on their own engine; the
write-shaped variants of the same statements stay refused (issue: false refusals)."""

from __future__ import annotations

import pytest

from olympus.errors import UnsafeSQL
from olympus.runner import run_query

# backend -> statements that must run and return at least one row
RUNS = {
    "postgresql": ["TABLE customers", "TABLE public.customers", "VALUES (1, 'a'), (2, 'b')",
                   "EXPLAIN SELECT * FROM customers WHERE id = 1",
                   "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM orders",
                   "SHOW work_mem", "SELECT pg_size_pretty(pg_total_relation_size('orders'))"],
    "redshift": ["EXPLAIN SELECT * FROM customers", "SHOW work_mem"],
    "duckdb": ["DESCRIBE customers", "SHOW TABLES", "SUMMARIZE customers",
               "PIVOT orders ON customer_id USING sum(amount)", "VALUES (1), (2)",
               "EXPLAIN SELECT * FROM customers", "SELECT * FROM range(3)"],
    "sqlite": ["EXPLAIN QUERY PLAN SELECT * FROM customers WHERE id = 1"],
    "mysql": ["EXPLAIN SELECT * FROM customers", "SHOW TABLES", "DESCRIBE customers"],
    # SYSTEM$TYPEOF passes the guard (tests/test_guard.py); fakesnow has no such function
    "snowflake": ["SHOW TABLES", "DESCRIBE TABLE customers"],
    "bigquery": [],
}
# backend -> write-shaped or side-effect statements of the same families: refused by the guard
REFUSED = {
    "postgresql": ["EXPLAIN ANALYZE DELETE FROM orders", "EXPLAIN (ANALYZE) INSERT INTO orders "
                   "SELECT * FROM orders", "SHOW work_mem; SET work_mem = '1GB'",
                   "SELECT txid_current()", "SELECT pg_nextoid('pg_class', 'oid', 'pg_class_oid_index')",
                   "TABLE customers, orders"],
    "duckdb": ["SUMMARIZE 'customers.csv'", "DESCRIBE '/etc/passwd.csv'",
               "SELECT * FROM enable_logging(storage='file', storage_path='/tmp/x')",
               "EXPLAIN ANALYZE DELETE FROM orders"],
    "sqlite": ["EXPLAIN QUERY PLAN DELETE FROM orders", "EXPLAIN DELETE FROM orders"],
    "snowflake": ["SELECT seq1.nextval", "SELECT * FROM TABLE(my_proc(1))",
                  "SELECT GET_PRESIGNED_URL(@stage, 'f.csv')", "SELECT SYSTEM$CANCEL_ALL_QUERIES(1)"],
}


def _cases(table: dict) -> list:
    return [pytest.param(name, sql, id=f"{name}:{sql[:40]}") for name, sqls in table.items()
            for sql in sqls]


@pytest.mark.parametrize("backend, sql", _cases(RUNS), indirect=["backend"])
def test_read_only_statement_runs(backend, sql):
    result = run_query(backend.connector, sql, limiter=None)
    assert result.row_count >= 1, result.df
    assert result.sql == sql


@pytest.mark.parametrize("backend, sql", _cases(REFUSED), indirect=["backend"])
def test_write_shaped_variant_is_refused(backend, sql):
    with pytest.raises(UnsafeSQL):
        run_query(backend.connector, sql, limiter=None)
