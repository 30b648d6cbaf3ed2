"""dbt import from the fixture project (tests/data/dbt_project): schema.yml files and manifest.json."""

from __future__ import annotations

import pytest

from olympus.errors import ConfigError
from olympus.semantic.dbt import read_project
from tests.semantic.conftest import DBT_PROJECT


def test_schema_yml_models_and_sources_are_read():
    items = {(i.schema, i.table, i.column): i.text for i in read_project(DBT_PROJECT / "models")}
    assert items[(None, "customers", "")].startswith("People who have bought")
    assert items[(None, "orders", "amount")] == "Order total in USD, tax included."
    assert items[("main", "reviews", "body")] == "The review text (untrusted)."
    assert (None, "orders", "ordered_at") not in items  # an empty description is no description


def test_schema_yml_import_reports_what_matched(ws, shop):
    report = ws.import_dbt("shop", str(DBT_PROJECT / "models"))
    assert (report.tables, report.columns) == (3, 3)
    assert report.unmatched_tables == ("stg_payments",)
    assert report.unmatched_columns == ("customers.loyalty_tier",)
    assert set(report.matched) == {"main.customers", "main.orders", "main.reviews"}
    described = ws.described_schema("shop")
    assert described.table("main.orders").column("amount").description == "Order total in USD, tax included."
    assert described.table("main.reviews").description == "Free-text reviews, as typed by customers."
    assert described.table("main.canary").description is None


def test_manifest_wins_in_a_compiled_project_with_schemas_and_aliases(ws, shop):
    report = ws.import_dbt("shop", str(DBT_PROJECT))  # target/manifest.json is there
    assert report.unmatched_tables == ("analytics.dim_dates",)  # another schema: not matched by name alone
    described = ws.described_schema("shop")
    assert described.table("main.orders").description == "Orders, aliased."  # fct_orders, alias orders
    assert described.table("main.customers").column("region").description == "Territory (manifest)."
    assert described.table("main.reviews").column("body").description == "Review text (manifest)."
    assert "not_null" not in str(report)  # tests are not tables


def test_a_missing_or_broken_project_is_a_clear_error(ws, shop, tmp_path):
    with pytest.raises(ConfigError, match="No dbt project"):
        ws.import_dbt("shop", str(tmp_path / "nowhere"))
    (tmp_path / "schema.yml").write_text("models: [unclosed")
    with pytest.raises(ConfigError, match="Can't read schema.yml"):
        ws.import_dbt("shop", str(tmp_path))
    (tmp_path / "schema.yml").unlink()
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ConfigError, match="Can't read manifest.json"):
        ws.import_dbt("shop", str(tmp_path / "manifest.json"))
    assert ws.descriptions("shop") == []
