"""Schema page (issue 11): name matches before description matches, counts in the list, the
open table marked, and "Query this table" handing a starter SELECT that really runs to Ask."""

from __future__ import annotations

import json

import duckdb
import pytest
from sqlalchemy import create_engine, text

from olympus.catalog import Catalog
from olympus.catalog_model import Column, Table
from olympus.ui.schema import PENDING_SQL, find
from olympus.ui.schema_parts import starter_sql
from tests.ui.helpers import (as_read, button, no_traceback, open_row, plain_tables, shown,
                              table_frame)


def _demo(app):
    """The demo (built by a first start) on the Schema page, plus its catalog."""
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    no_traceback(app("app.py"))
    at = app("pages/2_Schema.py")
    no_traceback(at)
    ws = Workspace(Store.from_settings(Settings.from_env()), None, settings=Settings.from_env())
    [record] = ws.connections()
    return at, ws, record, ws.schema(record.id)


def _key(at, suffix: str) -> str:
    widgets = [*at.text_input, *at.selectbox, *at.toggle]
    return next(w.key for w in widgets if w.key and w.key.endswith(suffix))


def test_find_ranks_exact_then_prefix_then_inside_and_counts_description_matches():
    def t(name: str, description: str | None = None) -> Table:
        return Table("public", name, description=description, columns=(Column("id", "int"),))

    snap = Catalog(tables=(t("audit", "Who changed which orders."), t("customer_orders"),
                           t("orders_archive"), t("orders_2020"), t("orders"),
                           t("payments", "Paid orders.")))
    named, more = find(snap, "Orders")
    assert [x.name for x in named] == ["orders", "orders_2020", "orders_archive",
                                       "customer_orders"]
    assert more == 2
    wide, more = find(snap, "orders", descriptions=True)
    assert [x.name for x in wide] == ["orders", "orders_2020", "orders_archive",
                                      "customer_orders", "audit", "payments"] and more == 0
    assert find(snap, "")[0] == snap.tables and find(snap, "public.orders")[0][0].name == "orders"


def test_loan_filter_lists_the_loan_tables_not_all_eight(app):
    at, _, _, snap = _demo(app)
    listed = table_frame(at, 0)
    assert {"table", "cols", "rows"} <= set(listed.columns)
    assert not [w for w in at.selectbox if (w.key or "").endswith(":ns")]  # one schema: no filter  # counts are in the list itself
    assert len(listed) == len(snap.tables) == 8
    loans = snap.table("loans", schema="main")
    assert int(listed[listed["table"] == "loans"].iloc[0]["cols"]) == len(loans.columns)

    at.text_input(key=_key(at, ":q")).input("loan").run()
    names = list(table_frame(at, 0)["table"])
    expected = sorted(t.name for t in snap.tables if "loan" in t.name)
    mentions = [t.name for t in snap.tables
                if "loan" not in t.name and "loan" in (t.description or "").lower()]
    assert sorted(names) == expected and 0 < len(names) < 8
    assert mentions, "the demo's descriptions mention loans: the case the issue reported"
    assert f"{len(mentions)} more table" in shown(at)

    at.toggle(key=_key(at, ":desc")).set_value(True).run()
    wide = list(table_frame(at, 0)["table"])
    assert wide[:len(names)] == names and sorted(wide[len(names):]) == sorted(mentions)


def test_references_and_defaults_show_only_when_some_column_has_one():
    from olympus.ui.schema import _detail_columns

    plain = [["id", "INTEGER", "PK", "", False, "", ""]]
    assert [c.key for c in _detail_columns(plain)] == ["column", "type", "key", "nullable",
                                                       "description"]
    linked = plain + [["c_id", "INTEGER", "FK", "c.id", True, "", "0"]]
    assert [c.key for c in _detail_columns(linked)] == ["column", "type", "key", "references",
                                                        "nullable", "description", "default"]


def test_the_open_table_is_the_marked_row_and_the_detail(app):
    at, _, _, _ = _demo(app)
    at.selectbox(key=_key(at, ":pick")).set_value("main.loans").run()
    no_traceback(at)
    listed = plain_tables(at)[0]
    at_row = [row[0] for row in listed["rows"]].index("loans")
    assert listed["selected"] == at_row and listed["selectable"]
    assert "main.loans" in [as_read(s.value).split(" ", 1)[-1] for s in at.subheader]
    columns = table_frame(at, 1)
    assert columns[columns["column"] == "customer_id"].iloc[0]["references"] == \
        "customers.customer_id"
    assert "12.5K" in list(table_frame(at, 0)["rows"])  # compact, the exact count on hover
    assert ["12.5K", "12,506"] in [row[2] for row in listed["rows"]]

    payments = [row[0] for row in listed["rows"]].index("payments")
    open_row(at, 0, payments)  # a click on its row in the list
    no_traceback(at)
    assert "main.payments" in [as_read(s.value).split(" ", 1)[-1] for s in at.subheader]
    assert plain_tables(at)[0]["selected"] == payments
    assert at.selectbox(key=_key(at, ":pick")).value == "main.payments"
    open_row(at, 0, payments, trigger="t1")  # the same click delivered again: nothing changes
    open_row(at, 0, 99, trigger="t2")  # a row that isn't there: ignored
    no_traceback(at)
    assert plain_tables(at)[0]["selected"] == payments


def test_query_this_table_hands_ask_a_starter_select_that_runs(app):
    at, ws, record, snap = _demo(app)
    at.selectbox(key=_key(at, ":pick")).set_value("main.loans").run()
    button(at, "Query this table").click().run()
    no_traceback(at)  # alone (no app.py routing) the page shows the SQL instead of switching
    sql = at.session_state[PENDING_SQL]
    loans = snap.table("loans", schema="main")
    assert sql == starter_sql(loans, "duckdb") and sql in [c.value for c in at.code]
    assert "FROM main.loans" in sql and "LIMIT 100" in sql
    result = ws.run_sql(record.name, sql, limit=100)  # through every guard, on the real demo
    assert 12 < len(loans.columns) <= 20  # listed one by one, ready to trim
    assert list(result.df.columns) == [c.name for c in loans.columns]
    assert result.row_count == 100


ODD = (Column("id", "int"), Column("order", "int"), Column("MyCol", "int"),
       Column("my col", "int"), Column("select", "int"))


def test_starter_sql_quotes_odd_names_where_duckdb_needs_it(tmp_path):
    con = duckdb.connect(str(tmp_path / "odd.duckdb"))
    con.execute('CREATE TABLE main."Odd Table" (id INT, "order" INT, "MyCol" INT, '
                '"my col" INT, "select" INT)')
    con.execute("INSERT INTO main.\"Odd Table\" VALUES (1, 2, 3, 4, 5)")
    sql = starter_sql(Table("main", "Odd Table", columns=ODD), "duckdb")
    assert con.execute(sql).fetchall() == [(1, 2, 3, 4, 5)]
    assert [d[0] for d in con.description] == [c.name for c in ODD]
    assert "id," in sql  # a plain name stays plain


@pytest.mark.parametrize("table", ["Orders", "orders"])
def test_starter_sql_runs_on_postgresql_with_case_and_keywords(pg_url, table):
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
        conn.execute(text(f'CREATE TABLE "{table}" (id int, "order" int, "MyCol" int, '
                          f'"my col" int, "select" int)'))
        conn.execute(text(f'INSERT INTO "{table}" VALUES (1, 2, 3, 4, 5)'))
        sql = starter_sql(Table("public", table, columns=ODD), "postgres")
        rows = conn.execute(text(sql))
        assert list(rows.keys()) == [c.name for c in ODD] and rows.fetchall() == [(1, 2, 3, 4, 5)]
        conn.execute(text(f'DROP TABLE "{table}"'))
    engine.dispose()
    wide = Table("public", "w", columns=tuple(Column(f"c{i}", "int") for i in range(21)))
    assert "SELECT\n  *" in starter_sql(wide, "postgres")  # too many columns: SELECT *
