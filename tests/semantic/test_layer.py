"""Descriptions: stored per connection in the store, layered over the database's comments, checked."""

from __future__ import annotations

import pytest

from olympus.errors import ConfigError
from olympus.semantic.layer import MAX_TEXT
from olympus.teams import Forbidden
from tests.agent.conftest import duck


def test_descriptions_layer_over_comments_and_never_reach_the_database(ws, shop):
    before = duck(shop, "SELECT table_name, comment FROM duckdb_tables() ORDER BY 1")
    ws.set_description("shop", "main.customers", text="Our buyers, one row each.")
    ws.set_description("shop", "customers", "REGION", "Sales territory: North or South.")
    described = ws.described_schema("shop")
    customers = described.table("main.customers")
    assert customers.description == "Our buyers, one row each."
    assert customers.column("region").description == "Sales territory: North or South."
    orders = described.table("main.orders")  # untouched: the database's own comments show
    assert orders.description == "Orders placed by customers, one row per order"
    assert orders.column("amount").description == "Order total in USD"
    assert ws.schema("shop").table("main.customers").description == "People who buy from the shop"
    stored = [(d.table, d.column, d.text, d.updated_by) for d in ws.descriptions("shop")]
    assert stored == [("main.customers", "", "Our buyers, one row each.", "local"),
                      ("main.customers", "region", "Sales territory: North or South.", "local")]
    ws.close()
    assert duck(shop, "SELECT table_name, comment FROM duckdb_tables() ORDER BY 1") == before


def test_empty_text_goes_back_to_the_comment(ws, shop):
    ws.set_description("shop", "main.orders", text="Replaced")
    ws.set_description("shop", "main.orders", text="   ")
    assert ws.descriptions("shop") == []
    assert ws.described_schema("shop").table("main.orders").description.startswith("Orders placed")


@pytest.mark.parametrize("table, column, text, needle", [
    ("main.nope", "", "x", "No table 'main.nope'"),
    ("main.orders", "nope", "x", "No column 'nope'"),
    ("main.orders", "", "x" * (MAX_TEXT + 1), "the limit is"),
])
def test_bad_input_is_a_clear_error_and_nothing_is_stored(ws, shop, table, column, text, needle):
    ws.set_description("shop", "main.orders", text="Kept")
    with pytest.raises(ConfigError, match=needle):
        ws.set_description("shop", table, column, text)
    assert [(d.table, d.text) for d in ws.descriptions("shop")] == [("main.orders", "Kept")]


def test_viewers_read_editors_write(as_role, shop_path):
    admin = as_role("admin")
    admin.add_connection("shop", "duckdb", {"path": str(shop_path)})
    editor, viewer = as_role("editor"), as_role("viewer")
    editor.set_description("shop", "main.orders", "amount", "Gross, in USD.")
    assert viewer.described_schema("shop").table("main.orders").column("amount").description == "Gross, in USD."
    with pytest.raises(Forbidden):
        viewer.set_description("shop", "main.orders", "amount", "Net")
    with pytest.raises(Forbidden):
        viewer.import_layer("shop", "tables: []")
    assert [d.updated_by for d in viewer.descriptions("shop")] == ["editor@x.io"]
    rows = admin.activity(action="description_set")
    assert {(r.user, r.status) for r in rows} == {("editor@x.io", "ok"), ("viewer@x.io", "refused")}


def test_the_agent_index_follows_description_edits(ws, shop):
    from olympus.agent.context import SchemaIndex

    first = ws.described_index("shop", SchemaIndex.from_snapshot)
    assert ws.described_index("shop", SchemaIndex.from_snapshot) is first  # cached
    ws.set_description("shop", "main.canary", text="Weekly churn figures per cohort")
    second = ws.described_index("shop", SchemaIndex.from_snapshot)
    assert second is not first
    scores = second.scores("churn per cohort")
    assert second.keys[int(scores.argmax())] == "main.canary"
