"""Verified queries on real databases: saved with lineage, permissions in core, found by
similarity, stale after a real schema change on PostgreSQL, reviewed by an admin."""

from __future__ import annotations

import json

import psycopg
import pytest

from olympus.errors import ConfigError, UnsafeSQL
from olympus.store import NotFound
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.agent.conftest import settings, shop, shop_path, store, ws  # noqa: F401  (fixtures)

TOTALS = ("SELECT c.region, SUM(o.amount) AS total FROM orders o JOIN customers c "
          "ON c.id = o.customer_id GROUP BY 1")


def as_role(store, settings, role: str) -> Workspace:
    return Workspace(store, settings=settings, principal=Principal(f"{role}@x.io", "alice", role))


def test_save_keeps_the_question_sql_and_lineage(ws, shop):
    saved = ws.save_verified("shop", "  Order total per region?  ", TOTALS)
    assert saved.question == "Order total per region?" and saved.sql == TOTALS
    assert set(saved.tables) == {"main.orders", "main.customers"}
    assert set(saved.columns) == {"main.orders.amount", "main.orders.customer_id",
                                  "main.customers.id", "main.customers.region"}
    assert saved.created_by == saved.verified_by == "local" and not saved.stale
    assert [q.id for q in ws.verified_queries("shop")] == [saved.id]


def test_only_one_read_only_statement_with_a_question_is_kept(ws, shop):
    with pytest.raises(UnsafeSQL):
        ws.save_verified("shop", "drop it", "DROP TABLE orders")
    with pytest.raises(ConfigError, match="needs both"):
        ws.save_verified("shop", "  ", TOTALS)
    assert ws.verified_queries() == []


def test_permissions_are_checked_in_core(ws, shop, store, settings):
    saved = ws.save_verified("shop", "Order total per region?", TOTALS)
    viewer, editor = as_role(store, settings, "viewer"), as_role(store, settings, "editor")
    with pytest.raises(Forbidden):
        viewer.save_verified("shop", "How many orders?", "SELECT COUNT(*) FROM orders")
    assert [q.id for q in viewer.verified_queries()] == [saved.id]  # viewers may read them
    mine = editor.save_verified("shop", "How many orders?", "SELECT COUNT(*) FROM orders")
    for forbidden in (lambda: editor.delete_verified(saved.id),
                      lambda: editor.approve_verified(saved.id)):
        with pytest.raises(Forbidden):
            forbidden()
    ws.delete_verified(mine.id)
    assert [q.id for q in ws.verified_queries()] == [saved.id]
    with pytest.raises(NotFound):
        ws.verified_query(mine.id)


def test_similar_ones_rank_by_question_words_and_tables(ws, shop):
    totals = ws.save_verified("shop", "What is the order total per region?", TOTALS)
    count = ws.save_verified("shop", "How many reviews are there?", "SELECT COUNT(*) FROM reviews")
    assert ws.similar_verified("shop", "order totals by region in 2024") == [totals]
    assert ws.similar_verified("shop", "number of reviews") == [count]
    assert ws.similar_verified("shop", "anything", tables=["main.reviews"]) == [count]
    assert ws.similar_verified("shop", "weather tomorrow") == []


def test_every_run_records_its_lineage_in_the_query_log(ws, shop):
    cold = ws.run_sql("shop", TOTALS)  # no catalog read yet: names as written, never an error
    assert set(cold.reads) == {"orders.amount", "orders.customer_id", "customers.id",
                               "customers.region"}
    ws.schema("shop")
    result = ws.run_sql("shop", TOTALS)
    assert set(result.reads) == {"main.orders.amount", "main.orders.customer_id",
                                 "main.customers.id", "main.customers.region"}
    logged = ws.query_log()[0]
    assert logged.status == "ok" and set(json.loads(logged.reads_json)) == set(result.reads)
    ws.run_sql("shop", "SELECT COUNT(*) FROM canary")
    assert json.loads(ws.query_log()[0].reads_json) == ["main.canary"]


def test_used_by_shows_verified_and_recent_queries(ws, shop):
    ws.schema("shop")
    saved = ws.save_verified("shop", "Order total per region?", TOTALS)
    ws.run_sql("shop", "SELECT amount FROM orders LIMIT 1")
    ws.run_sql("shop", "SELECT region FROM customers LIMIT 1")
    usage = ws.used_by("shop", "main.orders", "amount")
    assert [q.id for q in usage.verified] == [saved.id]
    assert [e.sql for e in usage.recent] == ["SELECT amount FROM orders LIMIT 1"]
    assert ws.used_by("shop", "main.reviews").empty
    assert ws.used_by("shop", "main.customers", "name").recent == ()
    assert [e.sql for e in ws.used_by("shop", "main.customers").recent] == [
        "SELECT region FROM customers LIMIT 1"]


def test_used_by_finds_saved_notebook_cells(ws, shop):
    from olympus.notebooks.model import new_cell

    ws.schema("shop")
    cells = [new_cell("sql", name="big", connection="shop",
                      sql="SELECT id, amount FROM orders WHERE amount > {{floor}}"),
             new_cell("sql", name="names", connection="shop", sql="SELECT name FROM customers"),
             new_cell("note", name="words", markdown="orders.amount is in USD")]
    ws.create_notebook("Revenue", cells=cells)
    uses = ws.used_by("shop", "main.orders", "amount").notebooks
    assert [(u.notebook, u.cell) for u in uses] == [("Revenue", "big")]
    assert [u.cell for u in ws.used_by("shop", "main.customers").notebooks] == ["names"]
    assert ws.used_by("shop", "main.customers", "region").notebooks == ()


@pytest.fixture()
def pg_loans(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE branches (id int PRIMARY KEY, region text)")
        conn.execute("CREATE TABLE loans (id int PRIMARY KEY, branch_id int, principal numeric)")
        conn.execute("INSERT INTO branches VALUES (1, 'north'), (2, 'south')")
        conn.execute("INSERT INTO loans VALUES (1, 1, 100), (2, 2, 250), (3, 1, 50)")
    return pg_url


def alter(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_a_real_schema_change_on_postgresql_marks_it_stale(ws, pg_loans):
    ws.add_connection("pg", "postgresql", {"url": pg_loans})
    ws.schema("pg")
    by_region = ws.save_verified("pg", "Principal by region?",
                                 "SELECT b.region, SUM(l.principal) FROM loans l JOIN branches b "
                                 "ON b.id = l.branch_id GROUP BY 1")
    count = ws.save_verified("pg", "How many loans?", "SELECT COUNT(*) FROM loans")
    unqualified = ws.save_verified("pg", "Largest principal?", "SELECT MAX(principal) FROM loans")
    alter(pg_loans, "ALTER TABLE loans RENAME COLUMN principal TO amount")
    ws.schema("pg")  # within the cache's lifetime: nothing re-read, nothing re-checked
    assert not ws.verified_query(by_region.id).stale
    changed = ws.schema("pg", refresh=True) and ws.verified_queries("pg", stale=True)
    assert {q.id for q in changed} == {by_region.id, unqualified.id}
    assert ws.verified_query(by_region.id).stale_reason == \
        "column public.loans.principal no longer exists"
    assert ws.verified_query(unqualified.id).stale_reason == \
        "column public.loans.principal no longer exists"
    assert not ws.verified_query(count.id).stale
    assert ws.similar_verified("pg", "principal by region") == []  # stale: never an example
    alter(pg_loans, "DROP TABLE branches")
    ws.schema("pg", refresh=True)
    assert "table public.branches no longer exists" in ws.verified_query(by_region.id).stale_reason
    alter(pg_loans, "ALTER TABLE loans RENAME COLUMN amount TO principal")
    alter(pg_loans, "CREATE TABLE branches (id int PRIMARY KEY, region text)")
    ws.schema("pg", refresh=True)  # back as it was: current again
    assert ws.verified_queries("pg", stale=True) == []


def test_an_admin_approves_a_stale_query(ws, pg_loans, store, settings):
    ws.add_connection("pg", "postgresql", {"url": pg_loans})
    saved = ws.save_verified("pg", "Largest principal?", "SELECT MAX(principal) FROM loans")
    alter(pg_loans, "ALTER TABLE loans DROP COLUMN principal")
    ws.schema("pg", refresh=True)
    assert ws.verified_query(saved.id).stale
    with pytest.raises(Forbidden):
        as_role(store, settings, "editor").approve_verified(saved.id)
    approved = ws.approve_verified(saved.id)
    assert not approved.stale and approved.stale_reason is None and approved.verified_by == "local"
