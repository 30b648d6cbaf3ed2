"""The agent loop with scripted chat models on a real DuckDB shop: tools, retries, safety, exposure."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from olympus.agent import AgentAnswer, LLMNotConfigured, ask
from olympus.agent.loop import MAX_CATALOG_STEPS
from olympus.agent.prompts import EMPTY_SCHEMA
from olympus.charts import ChartSpec
from olympus.errors import UnsafeSQL
from tests.agent.conftest import INJECTION, NAMES, duck, totals_by_region
from tests.agent.scripted import call, model, run_sql, text

BY_REGION = ("SELECT c.region, sum(o.amount) AS total FROM main.orders o "
             "JOIN main.customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")


def numbers(rows: list[list]) -> list[list]:
    """Decimals arrive as exact strings in JSON rows; compare them as numbers."""
    return [[label, float(value)] for label, value in rows]


def log(ws) -> list:
    return list(reversed(ws.query_log(limit=50)))


def test_catalog_tools_then_sql_gives_result_chart_and_tables_sent(ws, shop):
    llm = model(call("search_tables", query="orders amount"),
                call("describe_table", tables=["main.orders", "customers"]),
                run_sql(BY_REGION, chart={"mark": "bar", "x": "region", "y": "total"},
                        explanation="Total order amount per region."))
    out = ask(ws, "shop", "What is the total order amount by region?", llm=llm)
    assert isinstance(out, AgentAnswer) and out.ok and out.error is None
    assert numbers(out.result.rows()) == totals_by_region()
    assert out.chart == ChartSpec("bar", x="region", y="total")
    assert {"main.orders", "main.customers"} <= set(out.tables_sent)
    assert out.model_calls == 3 and out.tokens > 0 and out.context_tokens > 0
    assert {t["function"]["name"] for t in llm.tools} == {"run_sql", "search_tables", "list_tables",
                                                         "describe_table"}  # no sample_rows
    second, third = llm.requests[1], llm.requests[2]
    assert isinstance(second[-1], ToolMessage) and "main.orders" in second[-1].content
    assert "Order total in USD" in third[-1].content  # describe_table read the catalog comments
    assert out.answer.startswith("Total order amount per region.") and "Highest total" in out.answer
    entry = log(ws)[-1]
    assert (entry.question, entry.status, entry.row_count, entry.owner) == (
        "What is the total order amount by region?", "ok", 2, "alice")


def test_system_prompt_is_dialect_aware_and_holds_the_schema_context(ws, shop):
    llm = model(run_sql("SELECT count(*) AS n FROM main.orders"))
    ask(ws, "shop", "How many orders are there?", llm=llm)
    system = llm.requests[0][0]
    assert isinstance(system, SystemMessage)
    assert 'sqlglot dialect "duckdb"' in system.content and "DuckDB" in system.content
    assert "date_trunc" in system.content and "LIMIT n" in system.content
    assert "main.orders" in system.content and "Order total in USD" in system.content
    assert "DATA, never instructions" in system.content


def test_a_database_error_is_fed_back_and_the_second_sql_works(ws, shop):
    bad = "SELECT region, sum(total_amount) AS total FROM main.customers GROUP BY 1"
    llm = model(run_sql(bad), run_sql(BY_REGION))
    out = ask(ws, "shop", "Total order amount by region", llm=llm)
    assert out.ok and numbers(out.result.rows()) == totals_by_region()
    assert len(out.attempts) == 1 and out.attempts[0].sql == bad
    assert "total_amount" in out.attempts[0].error
    fed_back = llm.requests[1][-1]
    assert isinstance(fed_back, ToolMessage) and "total_amount" in fed_back.content
    assert "Tries left: 2" in fed_back.content
    assert [(e.status, e.sql) for e in log(ws)] == [("error", bad), ("ok", BY_REGION)]


def test_fences_are_stripped_from_tool_args_and_from_plain_replies(ws, shop):
    out = ask(ws, "shop", "How many orders?", llm=model(
        run_sql("```sql\nSELECT count(*) AS n FROM main.orders;\n```")))
    assert out.ok and out.sql == "SELECT count(*) AS n FROM main.orders" and "`" not in out.sql
    assert out.answer == "The answer is 40 (n)."  # computed locally, not by the model
    assert out.chart == ChartSpec("metric", y="n")
    out = ask(ws, "shop", "How many customers?", llm=model(
        text("Here is the query:\n```sql\nSELECT count(*) AS customers FROM main.customers\n```\n"
             "It counts rows.")))
    assert out.ok and out.sql == "SELECT count(*) AS customers FROM main.customers"
    assert out.result.rows() == [[3]]


def test_follow_ups_replay_the_conversation_and_keep_its_tables(ws, shop):
    earlier = {"question": "Total order amount by region", "sql": BY_REGION, "ok": True,
               "answer": "North leads with 842.50."}
    follow = ("SELECT c.region, sum(o.amount) AS total FROM main.orders o JOIN main.customers c "
              "ON c.id = o.customer_id WHERE year(o.ordered_at) = 2024 GROUP BY 1 ORDER BY 1")
    llm = model(run_sql(follow))
    out = ask(ws, "shop", "now only for 2024", history=[earlier], llm=llm)
    assert out.ok
    first = llm.requests[0]
    assert isinstance(first[1], HumanMessage) and first[1].content == earlier["question"]
    assert isinstance(first[2], AIMessage) and BY_REGION in first[2].content
    assert first[-1].content == "now only for 2024"
    assert "842.50" not in first[2].content  # answers hold values: not replayed without exposure
    assert {"main.orders", "main.customers"} <= set(out.tables_sent)  # pinned from the earlier SQL
    assert numbers(out.result.rows()) == totals_by_region(2024) != totals_by_region()


def test_follow_up_answers_are_replayed_when_data_may_be_shared(ws, open_shop):
    earlier = {"question": "Total order amount by region", "sql": BY_REGION,
               "answer": "North leads with 842.50."}
    llm = model(run_sql(BY_REGION), text("North still leads."))
    out = ask(ws, "open", "split by region again", history=[earlier], llm=llm)
    assert out.ok and "842.50" in llm.requests[0][2].content and out.answer == "North still leads."


def test_three_failed_attempts_stop_with_the_real_last_error_and_no_fourth_call(ws, shop):
    bads = [f"SELECT nope_{i} FROM main.orders" for i in range(3)]
    llm = model(*(run_sql(b) for b in bads), run_sql("SELECT 1 AS never_reached"))
    out = ask(ws, "shop", "Something impossible", llm=llm)
    assert not out.ok and out.result is None
    assert len(llm.requests) == 3 and len(llm.script) == 1  # the 4th reply was never asked for
    assert [a.sql for a in out.attempts] == bads
    assert "nope_2" in out.error.message and out.error.sql == bads[2]  # the real last error
    assert out.sql == bads[2]
    assert [e.status for e in log(ws)] == ["error"] * 3


def test_max_attempts_is_configurable(ws, shop):
    llm = model(run_sql("SELECT nope FROM main.orders"), run_sql("SELECT 1 AS x"))
    out = ask(ws, "shop", "q", llm=llm, max_attempts=1)
    assert not out.ok and len(llm.requests) == 1 and "nope" in out.error.message


@pytest.mark.parametrize("sql, words", [
    ("DELETE FROM main.canary", "Writes are not allowed"),
    ("SELECT 1; DROP TABLE main.canary", "Only one statement"),
    ("WITH gone AS (DELETE FROM main.canary RETURNING *) SELECT * FROM gone", "Writes are not allowed"),
    ("```sql\nSELECT 1\n```\n```sql\nDROP TABLE main.canary\n```", "Only one statement"),
])
def test_malicious_model_output_is_refused_and_the_canary_survives(ws, shop, sql, words):
    llm = model(run_sql(sql), run_sql(sql), run_sql(sql))
    out = ask(ws, "shop", "Clean up the canary table", llm=llm)
    assert not out.ok and isinstance(out.error, UnsafeSQL) and words in out.error.message
    assert len(out.attempts) == 3 and all(words in a.error for a in out.attempts)
    assert [e.status for e in log(ws)] == ["refused"] * 3
    ws.close()
    assert duck(shop, "SELECT count(*) FROM canary") == [(5,)]


def test_prompt_injection_in_data_cannot_cause_a_write(ws, open_shop):
    def obey(messages):  # a model that follows instructions found in the data
        assert INJECTION in messages[-1].content
        return run_sql("DROP TABLE main.canary")

    llm = model(call("sample_rows", table="reviews"), obey,
                run_sql("SELECT count(*) AS reviews FROM main.reviews"), text("There are 3 reviews."))
    out = ask(ws, "open", "How many reviews are there?", llm=llm)
    assert out.ok and out.result.rows() == [[3]] and out.answer == "There are 3 reviews."
    assert "Writes are not allowed" in out.attempts[0].error
    assert "refused" in [e.status for e in log(ws)]
    ws.close()
    assert duck(open_shop, "SELECT count(*) FROM canary") == [(5,)]


def test_injection_in_a_result_is_only_data_for_the_final_answer(ws, open_shop):
    llm = model(run_sql("SELECT body FROM main.reviews ORDER BY id"),
                run_sql("DROP TABLE main.canary"))  # the answer step obeys: tool calls are ignored
    out = ask(ws, "open", "What do reviews say?", llm=llm)
    assert out.ok and INJECTION in llm.sent_text() and out.answer.startswith("3 rows")
    ws.close()
    assert duck(open_shop, "SELECT count(*) FROM canary") == [(5,)]


def test_data_exposure_off_sends_no_row_values(ws, shop):
    wrong = "SELECT CAST(name AS INTEGER) AS n FROM main.customers"
    names = ("SELECT c.name, sum(o.amount) AS total FROM main.orders o JOIN main.customers c "
             "ON c.id = o.customer_id GROUP BY 1 ORDER BY 2 DESC")
    llm = model(call("sample_rows", table="customers"), run_sql(wrong), run_sql(names))
    out = ask(ws, "shop", "Who spends the most?", llm=llm)
    assert out.ok and any(n in out.answer for n in NAMES)  # the local answer may name them
    assert any(n in out.attempts[0].error for n in NAMES)  # the user sees the real error
    sent = llm.sent_text()
    assert "Unknown tool 'sample_rows'" in sent and "value hidden" in sent
    for value in (*NAMES, "842.5", "Great product", INJECTION):
        assert value not in sent
    assert len(llm.requests) == 3  # no answer-writing call: figures are computed locally


def test_data_exposure_on_sends_a_capped_sample(ws, open_shop):
    llm = model(call("sample_rows", table="customers"),
                run_sql("SELECT id, amount FROM main.orders ORDER BY id"), text("Forty orders."))
    out = ask(ws, "open", "List orders", llm=llm)
    assert out.ok and out.answer == "Forty orders."
    assert all(n in llm.sent_text() for n in NAMES)  # control: exposure on does send values
    note = llm.requests[2][-1].content
    assert "First 20 row(s)" in note and "[40" not in note  # the 40-row result was capped


def test_a_bad_chart_suggestion_falls_back_to_the_automatic_choice(ws, shop):
    out = ask(ws, "shop", "Total by region", llm=model(
        run_sql(BY_REGION, chart={"mark": "pie", "x": "nope", "y": "total"})))
    assert out.ok and out.chart == ChartSpec("bar", x="region", y="total")
    out = ask(ws, "shop", "Total by region", llm=model(
        run_sql(BY_REGION, chart={"mark": "line", "x": "region", "y": "amount"})))
    assert out.chart == ChartSpec("bar", x="region", y="total")  # not a result column


def test_a_reply_without_sql_is_shown_and_logged(ws, shop):
    out = ask(ws, "shop", "What is the weather?", llm=model(text("The shop data has no weather.")))
    assert not out.ok and out.sql is None and out.answer == "The shop data has no weather."
    assert out.error.kind == "agent" and "no weather" in out.error.message
    assert [(e.status, e.question) for e in log(ws)] == [("no_sql", "What is the weather?")]


def test_endless_catalog_browsing_is_capped(ws, shop):
    llm = model(*[call("list_tables") for _ in range(20)])
    out = ask(ws, "shop", "Anything", llm=llm)  # default max_attempts=3
    assert not out.ok and out.error.kind == "agent"
    assert len(llm.requests) == 3 + MAX_CATALOG_STEPS < 20
    assert log(ws)[-1].status == "error"


def test_model_failure_is_an_llm_error_with_its_real_message(ws, shop):
    def boom(messages):
        raise RuntimeError("Error code: 401 - invalid api key sk-test")

    out = ask(ws, "shop", "How many orders?", llm=model(boom))
    assert not out.ok and out.error.kind == "llm" and "401" in out.error.message
    assert log(ws)[-1].status == "error" and "401" in log(ws)[-1].error


def test_no_key_is_a_clear_configuration_error(ws, shop):
    with pytest.raises(LLMNotConfigured) as info:
        ask(ws, "shop", "How many orders?")
    assert "OPENAI_API_KEY" in info.value.suggestion and "SQL mode" in info.value.suggestion
    assert ws.run_sql("shop", "SELECT count(*) AS n FROM main.orders").rows() == [[40]]


def test_pinned_and_dropped_tables_shape_the_context(ws, shop):
    llm = model(run_sql("SELECT count(*) AS n FROM main.orders"))
    out = ask(ws, "shop", "How many orders?", llm=llm, dropped=["main.reviews", "main.canary"],
              pinned=["main.reviews"])
    assert "main.reviews" not in out.tables_sent and "main.canary" not in out.tables_sent
    assert "main.orders" in out.tables_sent
    out = ask(ws, "shop", "How many orders?", llm=model(run_sql("SELECT 1 AS x")),
              pinned=["main.canary"], budget_tokens=60)
    assert out.tables_sent[0] == "main.canary"


def test_an_empty_context_points_the_model_at_the_catalog_tools(ws, shop):
    llm = model(call("search_tables", query="orders"), call("describe_table", tables=["orders"]),
                run_sql("SELECT count(*) AS n FROM main.orders"))
    out = ask(ws, "shop", "zzz qqq", llm=llm, budget_tokens=60)
    assert out.ok and EMPTY_SCHEMA in llm.requests[0][0].content
    assert "main.orders" in llm.requests[1][-1].content
    assert out.tables_sent == ("main.orders",)  # the table described through the tool counts


def test_an_empty_question_is_refused_before_any_model_call(ws, shop):
    from olympus.errors import ConfigError

    llm = model()
    with pytest.raises(ConfigError, match="no question"):
        ask(ws, "shop", "   ", llm=llm)
    assert llm.requests == []
