"""The Ask page's chat driving the real agent and ChatOpenAI over HTTP (AppTest + stand-in server)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.conftest import NAMES, totals_by_region
from tests.agent.fake_openai import run_sql
from tests.services import ROOT
from tests.ui.helpers import as_read

BY_REGION = ("SELECT c.region, sum(o.amount) AS total FROM main.orders o "
             "JOIN main.customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")
IN_2024 = BY_REGION.replace("GROUP BY", "WHERE year(o.ordered_at) = 2024 GROUP BY")


@pytest.fixture()
def page_env(tmp_path, monkeypatch, llm_server, shop_path):
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER", "OLYMPUS_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-page-test")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = Workspace(store, settings=settings)
    ws.add_connection("shop", "duckdb", {"path": str(shop_path)})
    ws.close()
    store.dispose()
    return llm_server


def text_of(at: AppTest) -> str:
    """What a person reads: markdown escapes of untrusted text removed (tests.ui.helpers)."""
    parts = [str(getattr(el, "value", "")) for kind in ("markdown", "caption", "code", "info", "error")
             for el in getattr(at, kind)]
    return as_read("\n".join(parts + [e.label for e in at.expander]))


def test_chat_question_shows_answer_sql_table_chart_and_tables_sent(page_env):
    server = page_env
    server.script(run_sql(BY_REGION, explanation="Order totals per region.",
                          chart={"mark": "bar", "x": "region", "y": "total"}))
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90).run()
    assert not at.exception, [e.message for e in at.exception]
    at.chat_input[0].set_value("What is the total order amount by region?").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = text_of(at)
    assert "Order totals per region." in shown and "Highest total" in shown
    assert BY_REGION in shown  # the SQL, shown with the answer
    frame = at.dataframe[0].value
    assert [[r, float(t)] for r, t in frame.values.tolist()] == totals_by_region()
    specs = [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]
    assert specs and specs[0]["mark"]["type"] == "bar"
    assert specs[0]["encoding"]["x"]["field"] == "region"
    assert "Tables sent to the LLM: 4 of 4" in shown and "main.orders" in shown
    assert not any(name in server.sent_text() for name in NAMES)


def test_pin_and_drop_shape_the_next_question_and_follow_ups_carry_the_chat(page_env):
    server = page_env
    server.script(run_sql(BY_REGION))
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90).run()
    at.chat_input[0].set_value("Total order amount by region").run()
    # one pin/drop control set, the one the agent reads (no second, dead pair of multiselects)
    assert sorted(m.key for m in at.multiselect if m.key.startswith("agent:")) == [
        "agent:drop:local:shop",
                                                     "agent:pin:local:shop"]
    at.multiselect(key="agent:drop:local:shop").set_value(["main.reviews", "main.canary"]).run()
    server.script(run_sql(IN_2024))
    at.chat_input[0].set_value("now only for 2024").run()
    assert not at.exception, [e.message for e in at.exception]
    messages = server.requests[0]["messages"]
    assert "main.reviews" not in messages[0]["content"] and "main.canary" not in messages[0]["content"]
    assert "main.orders" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "Total order amount by region"}
    assert BY_REGION in messages[2]["content"] and messages[-1]["content"] == "now only for 2024"
    frame = at.dataframe[-1].value
    assert [[r, float(t)] for r, t in frame.values.tolist()] == totals_by_region(2024)
    assert "Tables sent to the LLM: 2 of 4" in text_of(at)


def test_a_401_echoing_the_api_key_is_shown_without_the_key(page_env):
    page_env.script({"error": "Incorrect API key provided: sk-page-test. Check your key.",
                     "status": 401})
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90).run()
    at.chat_input[0].set_value("How many orders?").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = text_of(at) + as_read("\n".join(str(e.value) for e in at.error))
    assert "401" in shown and "Incorrect API key provided: ***" in shown
    assert "sk-page-test" not in shown
