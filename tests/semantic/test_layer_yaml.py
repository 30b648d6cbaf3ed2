"""YAML export/import of descriptions and glossary: a round trip, bad files, the CLI end to end."""

from __future__ import annotations

import json

import pytest
import yaml

from olympus.errors import ConfigError
from olympus.semantic.glossary import GlossaryTerm
from tests.store_helpers import clean_env, cli


def _fill(ws) -> None:
    ws.set_description("shop", "main.orders", text="One row per order.\nRefunds excluded: see 'refunds'.")
    ws.set_description("shop", "main.orders", "amount", "Total: USD, tax incl. # not a comment")
    ws.set_description("shop", "main.customers", "region", "North | South")
    ws.save_term(GlossaryTerm("default rate", "Share: refunded.", ("refund ratio",), "AVG(x > 90)"))
    ws.save_term(GlossaryTerm("vip", "Top customers."), connection="shop")


def _state(ws, name: str):
    return ([(d.table, d.column, d.text) for d in ws.descriptions(name)],
            [(t.term, t.definition, t.synonyms, t.sql_expression, bool(t.connection_id)) for t in ws.glossary(name)])


def test_export_then_import_into_another_connection_round_trips(ws, shop):
    _fill(ws)
    text = ws.export_layer("shop")
    doc = yaml.safe_load(text)
    assert doc["connection"] == "shop" and doc["version"] == 1
    ws.add_connection("copy", "duckdb", {"path": str(shop)})
    report = ws.import_layer("copy", text)
    assert (report.tables, report.columns, report.terms) == (1, 2, 2)
    assert report.unmatched_tables == report.unmatched_columns == ()
    assert _state(ws, "copy") == _state(ws, "shop")
    assert ws.export_layer("copy").replace("connection: copy", "connection: shop") == text
    again = ws.import_layer("copy", text)  # idempotent: nothing duplicated
    assert again.terms == 2 and _state(ws, "copy") == _state(ws, "shop")


def test_unknown_names_are_reported_not_stored(ws, shop):
    text = yaml.safe_dump({"tables": [
        {"name": "main.orders", "columns": [{"name": "amount", "description": "ok"},
                                            {"name": "gone", "description": "renamed"}]},
        {"name": "main.ghost", "description": "dropped table"}]})
    report = ws.import_layer("shop", text)
    assert (report.tables, report.columns) == (0, 1)
    assert report.unmatched_tables == ("main.ghost",) and report.unmatched_columns == ("main.orders.gone",)
    assert [(d.table, d.column) for d in ws.descriptions("shop")] == [("main.orders", "amount")]


@pytest.mark.parametrize("text, needle", [
    ("tables: [unclosed", "not valid YAML"),
    ("- just\n- a list", "Expected a mapping"),
    ("version: 7", "Unknown version"),
    ("tables:\n  - description: no name", r"tables\[0\] needs a 'name'"),
    ("glossary:\n  - definition: no term", r"glossary\[0\] needs a 'term'"),
    ("glossary:\n  - {term: x, scope: world}", "scope must be"),
])
def test_bad_files_are_clear_errors_and_change_nothing(ws, shop, text, needle):
    ws.set_description("shop", "main.orders", text="Kept")
    with pytest.raises(ConfigError, match=needle):
        ws.import_layer("shop", text)
    assert [d.text for d in ws.descriptions("shop")] == ["Kept"] and ws.glossary() == []


def test_cli_export_import_and_dbt(tmp_path, shop_path):
    home = tmp_path / "home"
    env = clean_env(home, OLYMPUS_SECRET_KEY=_key())
    for name in ("shop", "copy"):
        done = cli(home, "connections", "add", name, "--type", "duckdb", "--param", f"path={shop_path}", env=env)
        assert done.returncode == 0, done.stderr
    source = tmp_path / "layer.yml"
    source.write_text(yaml.safe_dump({"tables": [{"name": "main.orders", "description": "From YAML."}],
                                      "glossary": [{"term": "aov", "definition": "Average order value."}]}))
    done = cli(home, "semantic", "import", "shop", str(source), env=env)
    assert done.returncode == 0, done.stderr
    assert "Imported 1 table and 0 column descriptions, 1 glossary terms." in done.stdout
    out = tmp_path / "out.yml"
    assert cli(home, "semantic", "export", "shop", "-o", str(out), env=env).returncode == 0
    assert yaml.safe_load(out.read_text())["tables"] == [{"name": "main.orders", "description": "From YAML."}]
    from tests.semantic.conftest import DBT_PROJECT

    done = cli(home, "semantic", "dbt", "copy", str(DBT_PROJECT / "models"), "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["unmatched_tables"] == ["stg_payments"] and report["columns"] == 3
    bad = cli(home, "semantic", "import", "shop", str(tmp_path / "missing.yml"), env=env)
    assert bad.returncode == 1 and "Can't read" in bad.stderr


def _key() -> str:
    from olympus.crypto import generate_key

    return generate_key()
