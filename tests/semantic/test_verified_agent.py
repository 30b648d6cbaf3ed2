"""Verified examples reach the model (the prompt the OpenAI stand-in records), inside the token
budget; explain asks the same real client for a fuller explanation."""

from __future__ import annotations

import pytest

from olympus.agent.loop import ask
from olympus.crypto import generate_key
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.conftest import fake_openai, llm_server, shop_path  # noqa: F401  (fixtures)
from tests.agent.fake_openai import run_sql, say
from tests.store_helpers import make_settings

KEY = "sk-test-verified-1"
TOTALS = ("SELECT c.region, SUM(o.amount) AS total FROM main.orders o JOIN main.customers c "
          "ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")
REVIEWS = "SELECT COUNT(*) AS reviews FROM main.reviews"


@pytest.fixture()
def ws(tmp_path, llm_server, shop_path):
    settings = make_settings(tmp_path / "home", keys=(generate_key(),), OPENAI_API_KEY=KEY,
                             OPENAI_BASE_URL=llm_server.base_url)
    workspace = Workspace(Store.from_settings(settings), "carol", settings=settings)
    workspace.add_connection("shop", "duckdb", {"path": str(shop_path)})
    yield workspace
    workspace.close()


def system_of(request: dict) -> str:
    first = request["messages"][0]
    assert first["role"] == "system"
    return first["content"]


def test_a_similar_verified_query_is_a_few_shot_example_in_the_prompt(ws, llm_server):
    ws.save_verified("shop", "Total order amount per sales region?", TOTALS)
    ws.save_verified("shop", "How many product reviews do we have?", REVIEWS)
    llm_server.script(run_sql(TOTALS, explanation="Totals per region."))
    out = ask(ws, "shop", "What were order totals by region?")
    assert out.ok, out.error
    system = system_of(llm_server.requests[0])
    assert "Verified examples" in system
    assert "Q: Total order amount per sales region?" in system and TOTALS in system
    assert REVIEWS not in system  # not like the question: not sent


def test_no_example_without_a_match_and_the_budget_holds(ws, llm_server):
    ws.save_verified("shop", "How many product reviews do we have?", REVIEWS)
    llm_server.script(run_sql(TOTALS))
    assert ask(ws, "shop", "order totals by region", budget_tokens=400).ok
    assert "Verified examples" not in system_of(llm_server.requests[0])
    long_sql = REVIEWS + " WHERE " + " OR ".join(f"id = {i}" for i in range(300))
    ws.save_verified("shop", "How many reviews, long version?", long_sql)
    llm_server.script(run_sql(REVIEWS))
    assert ask(ws, "shop", "how many reviews", budget_tokens=400).ok
    system = system_of(llm_server.requests[0])
    assert "Q: How many product reviews do we have?" in system  # the short one fits
    assert long_sql not in system  # over a quarter of the budget: left out


def test_explain_with_the_llm_through_the_real_client(ws, llm_server):
    llm_server.script(say("It adds up order amounts for each region."))
    got = ws.explain_sql(TOTALS, name="shop", use_llm=True)
    assert got.text == "It adds up order amounts for each region."
    assert got.outline[0] == "Reads from main.orders (as o)."
    prompt = llm_server.requests[0]["messages"][-1]["content"]
    assert TOTALS in prompt and "- Joins main.customers (as c)" in prompt
    llm_server.script({"status": 400, "error": "model refused"})
    failed = ws.explain_sql(TOTALS, name="shop", use_llm=True)
    assert failed.text is None and failed.error and failed.outline == got.outline
