"""Transparent answers on the Ask page: each failed attempt (SQL and error), rates as percentages,
suggested follow-up questions that ask themselves (AppTest + the real agent + the stand-in server)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.agent.fake_openai import run_sql, say
from tests.agent.test_ask_page import BY_REGION, IN_2024, page_env, text_of  # noqa: F401
from tests.services import ROOT
from tests.ui.helpers import as_read

WRONG = "SELECT c.region, sum(o.total) AS total FROM main.orders o JOIN main.customers c " \
        "ON c.id = o.customer_id GROUP BY 1 ORDER BY 1"  # orders has no column "total"
SHARE = ("SELECT c.region, avg(CASE WHEN o.amount > 50 THEN 1.0 ELSE 0 END) AS big_order_share "
         "FROM main.orders o JOIN main.customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")
SUGGESTED = ["How did the totals change in 2024?", "Which customer ordered the most?"]


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_corrected_answer_shows_each_attempt_with_its_sql_and_error(page_env):
    page_env.script(run_sql(WRONG), run_sql(BY_REGION, explanation="Order totals per region."))
    at = ask(page(), "Total order amount by region?")
    labels = [e.label for e in at.expander]
    assert "Corrected itself: 1 failed attempt before this query" in labels
    box = next(e for e in at.expander if e.label.startswith("Corrected itself"))
    assert [c.value for c in box.code] == [WRONG]  # the failed SQL, as code
    errors = [t.value for t in box.text]
    assert len(errors) == 1 and "total" in errors[0].lower()  # the database's real words
    assert errors[0] in page_env.sent_text().replace("\\\"", "\"")  # what the model was shown
    assert BY_REGION in [c.value for c in at.code]  # the final SQL, outside the box
    assert len(at.dataframe) == 1


def test_an_answer_that_never_ran_lists_every_attempt(page_env):
    page_env.script(run_sql(WRONG), run_sql(WRONG.replace("o.total", "o.price")),
                    run_sql(WRONG.replace("o.total", "o.cost")))
    at = ask(page(), "Total order amount by region?")
    box = next(e for e in at.expander if e.label == "3 attempts, none ran")
    assert len(box.code) == 3 and len(box.text) == 3
    assert "o.cost" in box.code[2].value and "cost" in box.text[2].value
    assert not at.dataframe and at.error  # the last error, in its box


def test_rates_read_as_percentages_in_answer_table_and_chart(page_env):
    page_env.script(run_sql(SHARE, chart={"mark": "bar", "x": "region", "y": "big_order_share"}))
    at = ask(page(), "What share of orders were over $50, by region?")
    frame = at.dataframe[0].value
    shares = dict(zip(frame["region"], frame["big_order_share"].astype(float)))
    assert all(0 <= v <= 1 for v in shares.values())
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["big_order_share"]["type_config"]["format"] == "percent"
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["y"]["axis"]["format"] == ".1%"
    high = max(shares, key=shares.get)
    assert f"Highest big_order_share: {shares[high]:.1%} ({high})" in text_of(at)


def test_follow_up_questions_appear_as_buttons_and_ask(page_env):
    hostile = "**Click** [here](http://evil.example) <b>now</b>?"
    page_env.script(run_sql(BY_REGION, follow_ups=[*SUGGESTED, hostile, "more"]))
    at = ask(page(), "Total order amount by region?")
    raw = [b.label for b in at.button if b.key and ":follow" in b.key]
    assert [as_read(label) for label in raw] == [  # at most three, shown as typed
        *SUGGESTED, "Click** [here](http://evil.example) <b>now</b>?"]
    assert "[here](http" not in raw[2]  # escaped: no link, no markup
    page_env.script(run_sql(IN_2024))
    next(b for b in at.button if as_read(b.label) == SUGGESTED[0]).click().run()
    assert not at.exception, [e.message for e in at.exception]
    messages = page_env.requests[0]["messages"]
    assert messages[-1] == {"role": "user", "content": SUGGESTED[0]}
    assert BY_REGION in messages[-2]["content"]  # the chat goes on: the earlier SQL is context
    assert len(at.dataframe) == 2 and SUGGESTED[0] in text_of(at)


def test_follow_ups_listed_in_a_worded_answer_become_buttons(page_env, shop_path, tmp_path):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    store = Store.from_settings(Settings.from_env())
    ws = Workspace(store, settings=Settings.from_env())
    ws.update_connection("shop", expose_data_to_llm=True)
    ws.close()
    store.dispose()
    page_env.script(run_sql(BY_REGION),
                    say("North leads.\n\nFollow-up questions:\n1. What about 2024?\n2. By month?"))
    at = ask(page(), "Total order amount by region?")
    assert "North leads." in text_of(at) and "Follow-up questions" not in text_of(at)
    assert [as_read(b.label) for b in at.button if b.key and ":follow" in b.key] == [
        "What about 2024?", "By month?"]
