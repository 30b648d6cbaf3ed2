"""`python -m olympus verified|lineage|explain` end to end, as a user runs them."""

from __future__ import annotations

import json

from tests.agent.conftest import shop_path  # noqa: F401  (fixture)
from tests.store_helpers import cli

TOTALS = ("SELECT c.region, SUM(o.amount) AS total FROM orders o JOIN customers c "
          "ON c.id = o.customer_id GROUP BY 1")


def ok(home, *args):
    out = cli(home, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_verified_lineage_and_explain_commands(tmp_path, shop_path):
    home = tmp_path / "home"
    ok(home, "connections", "add", "shop", "--type", "duckdb", "--param", f"path={shop_path}")
    lines = ok(home, "lineage", "shop", TOTALS).splitlines()
    assert set(lines) == {"main.customers.region", "main.orders.amount", "main.customers.id",
                          "main.orders.customer_id"}
    assert "unknown column: main.orders.nope" in ok(home, "lineage", "shop",
                                                    "SELECT o.nope FROM orders o")
    saved = ok(home, "verified", "add", "shop", "Total per region?", TOTALS)
    assert saved.startswith("Saved verified query ") and "main.orders.amount" in saved
    [item] = json.loads(ok(home, "verified", "list", "--json"))
    assert item["question"] == "Total per region?" and item["stale"] is False
    assert ok(home, "verified", "recheck", "shop").startswith("0 stale verified queries.")
    assert "Joins customers (as c) on c.id = o.customer_id" in ok(home, "explain", "shop", TOTALS)
    ok(home, "verified", "delete", item["id"])
    assert json.loads(ok(home, "verified", "list", "--json")) == []
    bad = cli(home, "verified", "add", "shop", "only a question")
    assert bad.returncode != 0 and "takes 3" in bad.stderr
    refused = cli(home, "verified", "add", "shop", "wipe", "DELETE FROM orders")
    assert refused.returncode != 0 and json.loads(ok(home, "verified", "list", "--json")) == []
