"""The typed catalog: look-up, search, foreign-key graph, preview SQL, and the FEAT-001 JSON form."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace

import orjson
import pytest
import sqlglot
from sqlglot import exp

from olympus.catalog import CacheKey, Catalog, CatalogCache, Column, ForeignKey, Reference, Table
from olympus.catalog_json import loads
from olympus.connectors._catalog import assemble

ODD = 'we"ird},{"schema":x ],"primary_key":[ \\'  # JSON markers inside a name must stay data


def _shop() -> Catalog:
    customers = Table("shop", "customers", "table", "People who buy", (
        Column("id", "integer", False), Column("full name", "text", True, "Name, in full")),
        ("id",), (), 1200)
    orders = Table("shop", "orders", "table", "Sales orders", (
        Column("id", "integer", False), Column("customer_id", "integer"),
        Column("amount", "numeric(10,2)", True, "Order total in USD", "0")), ("id",),
        (ForeignKey(("customer_id",), Reference(None, "customers", ("id",))),), 5000)
    odd = Table("my.schema", ODD, "view", ODD, (Column(ODD, "text", True, ODD),), (),
                (ForeignKey((ODD,), Reference("shop", "orders", ("id",))),), None)
    empty = Table("z", "empty", "table", None, (), (), (), None)
    return Catalog((odd, customers, orders, empty), "2026-01-01T00:00:00+00:00")


def test_lookup_by_key_bare_name_quotes_and_case():
    cat = _shop()
    orders = cat.table("shop.orders")
    assert orders is cat.table("orders") is cat.table('"shop"."orders"') is cat.table("SHOP.Orders")
    assert cat.table("orders", schema="shop") is orders and cat.table("orders", schema="x") is None
    assert cat.table("`shop`.`orders`") is orders and cat.table("db.shop.orders") is orders
    odd = cat.table(f"my.schema.{ODD}")
    assert odd is not None and odd.name == ODD and odd.qualified_name == f"my.schema.{ODD}"
    assert cat.table("nope") is None and cat.table("") is None


def test_search_by_text_column_and_schema():
    cat = _shop()
    assert [t.name for t in cat.search("SALES")] == ["orders"]
    assert [t.name for t in cat.search(column="Customer_")] == ["orders"]
    assert [t.name for t in cat.search("", schema="shop")] == ["customers", "orders"]
    assert cat.search("buy", column="amount") == ()
    assert len(cat.search()) == len(cat.tables)


def test_foreign_key_graph_both_ways():
    cat = _shop()
    orders, customers = cat.table("shop.orders"), cat.table("shop.customers")
    odd = cat.tables[0]
    assert cat.references_out(orders) == ((orders.foreign_keys[0], customers),)
    assert [t.name for t, _ in cat.references_in(orders)] == [ODD]
    assert cat.references_in(customers)[0][0] is orders
    assert set(cat.neighbours(orders)) == {customers, odd}
    assert cat.neighbours(cat.table("z.empty")) == ()
    assert orders.fk_targets() == {"customer_id": ("shop", "customers", "id")}


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery", "duckdb", "sqlite",
                                     "mysql", "redshift"])
def test_preview_sql_quotes_every_name_for_the_dialect(dialect):
    name = ODD.replace("\\", "")  # no engine allows a backslash in a table name; BigQuery reads it
    odd = replace(_shop().tables[0], name=name)  # as an escape, and sqlglot writes it as is
    sql = odd.preview_sql(dialect, 7)
    tree = sqlglot.parse_one(sql, read=dialect)
    table = tree.find(exp.Table)
    path = ".".join(p for p in (table.catalog, table.db, table.name) if p)  # BigQuery: `a.b` is a
    assert path == f"my.schema.{name}"  # path, so its parser may regroup the parts
    assert tree.args["limit"].expression.name == "7"
    assert odd.sql_name(dialect) in sql


def test_json_round_trip_keeps_the_feat_001_shape():
    cat = _shop()
    blob = cat.to_json()
    assert json.loads(blob) == cat.to_dict()
    first = json.loads(blob)["tables"][1]
    assert list(first) == ["schema", "name", "kind", "description", "columns", "primary_key",
                           "foreign_keys", "row_count_estimate"]
    assert list(first["columns"][0]) == ["name", "type", "nullable", "description", "default"]
    assert first["foreign_keys"] == [] and json.loads(blob)["tables"][2]["foreign_keys"] == [
        {"columns": ["customer_id"], "references": {"schema": None, "table": "customers",
                                                    "columns": ["id"]}}]
    fast = loads(blob)
    assert fast == cat == Catalog.from_dict(orjson.loads(blob))
    assert fast.to_json() == blob  # undecoded columns are written back as they were read
    assert loads(json.dumps(cat.to_dict(), indent=1)) == cat  # older json.dumps layout
    assert Catalog.from_json(blob.decode()).tables[0].columns[0].name == ODD


def test_columns_decode_lazily_and_stay_equal_hashable_picklable():
    cat = loads(_shop().to_json())
    orders = cat.table("shop.orders")
    assert orders.columns.raw() is not None  # not decoded by the load itself
    assert len(orders.columns) == 3 and orders.columns.raw() is not None  # counted, not decoded
    assert len(cat.tables[0].foreign_keys) == 1 and cat.tables[0].foreign_keys[0].target("x") == (
        "shop", "orders")
    assert orders.columns[2] == Column("amount", "numeric(10,2)", True, "Order total in USD", "0")
    assert orders.columns.raw() is None and len(orders.columns) == 3
    assert hash(orders) == hash(_shop().table("shop.orders"))
    assert pickle.loads(pickle.dumps(cat)) == cat


def test_bad_snapshots_are_clear_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        loads(b'{"tables":[{"schema":')
    with pytest.raises(ValueError, match="tables"):
        loads(b'{"introspected_at": null}')
    damaged = loads(_shop().to_json().replace(b'"nullable":true', b'"nullable":tru', 1))
    with pytest.raises(ValueError, match="damaged"):
        list(damaged.tables[0].columns)


def test_assemble_builds_typed_sorted_tables():
    tables = [(2, "s", "b", "view", "", -1), (1, "s", "a", "table", "A", 10), (3, "t", "c", "table",
                                                                              None, None)]
    columns = [(1, "id", "INTEGER", 0, "", None), (1, "x", "TEXT", 1, "note", "1"),
               (2, "id", "INTEGER", 1, None, None), (9, "orphan", "TEXT", 1, None, None)]
    keys = [(1, "p", ["id"], None, None, None), (2, "f", ["id"], "s", "a", ["id"]),
            (9, "p", ["x"], None, None, None)]
    a, b, c = assemble(tables, columns, keys)
    assert (a.name, b.name, c.name) == ("a", "b", "c")
    assert a.columns == (Column("id", "INTEGER", False), Column("x", "TEXT", True, "note", "1"))
    assert (a.primary_key, a.row_count_estimate, a.description) == (("id",), 10, "A")
    assert b.row_count_estimate is None and b.description is None and c.columns == ()
    assert b.foreign_keys == (ForeignKey(("id",), Reference("s", "a", ("id",))),)


def test_cache_keeps_catalogs_and_reads_dicts_from_older_stores():
    saved = {}
    cache = CatalogCache(load=lambda k: _shop().to_dict(), save=lambda k, c: saved.update({k: c}),
                         clock=lambda: _shop().timestamp + 10)
    key = CacheKey("alice", "c1", "fp")
    hit = cache.peek(key)
    assert isinstance(hit, Catalog) and hit == _shop() and cache.peek(key) is hit
    cache.put(key, _shop().to_dict())
    assert isinstance(saved[key], Catalog)
    assert CatalogCache(load=lambda k: _shop(), ttl_s=5,
                        clock=lambda: _shop().timestamp + 10).peek(key) is None  # stale
