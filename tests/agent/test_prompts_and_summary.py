"""Dialect rules in the prompt, local answers, error scrubbing, history parsing, model settings."""

from __future__ import annotations

import pandas as pd
import pytest

from olympus.agent import AgentAnswer, LLMNotConfigured, Turn, chat_model
from olympus.agent.replies import sql_in_text
from olympus.agent.prompts import system_prompt
from olympus.agent.summary import HIDDEN, scrub, summarize
from olympus.config import Settings
from olympus.runner import QueryResult


def prompt(dialect: str, expose: bool = False) -> str:
    return system_prompt(dialect, "-- header\nmain.t\n  id int PK", shown=1, total=1,
                         expose_data=expose, row_limit=500, max_attempts=3)


@pytest.mark.parametrize("dialect, needles", [
    ("postgres", ['sqlglot dialect "postgres"', "PostgreSQL", "date_trunc('month', ts)", "LIMIT n"]),
    ("postgresql", ['sqlglot dialect "postgres"']),
    ("redshift", ["Redshift", "getdate()", "TOP n"]),
    ("snowflake", ["Snowflake", "UPPER case", "dateadd"]),
    ("bigquery", ["BigQuery", "backticks", "DATE_TRUNC(d, MONTH)"]),
    ("duckdb", ["DuckDB", "strftime(ts, '%Y-%m')"]),
    ("sqlite", ["SQLite", "strftime('%Y-%m', d)", "No date_trunc"]),
])
def test_prompt_names_the_dialect_its_quoting_dates_and_limits(dialect, needles):
    text = prompt(dialect)
    for needle in needles:
        assert needle in text, needle
    assert "Exactly one statement" in text and "capped at 500 rows" in text
    assert "main.t\n  id int PK" in text and "-- header" not in text


def test_prompt_says_whether_row_values_are_shared():
    assert "does NOT share data" in prompt("duckdb") and "sample of result rows" in prompt("duckdb", True)


def result(df: pd.DataFrame, types: tuple[str, ...], truncated: bool = False) -> QueryResult:
    return QueryResult(columns=tuple(df.columns), types=types, df=df, row_count=len(df),
                       truncated=truncated, elapsed_ms=1.0, sql="SELECT 1")


def test_local_summaries_state_the_facts():
    assert summarize(result(pd.DataFrame({"n": [1234]}), ("int64",))) == "The answer is 1,234 (n)."
    one = result(pd.DataFrame({"region": ["West"], "total": [12.5]}), ("string", "double"))
    assert summarize(one) == "One row: region = West, total = 12.50."
    many = result(pd.DataFrame({"region": ["A", "B", "C"], "total": [5.0, 9.25, 1.0]}),
                  ("string", "double"), truncated=True)
    assert summarize(many) == "3 rows (cut at the row limit). Highest total: 9.25 (B); lowest: 1 (C)."
    assert summarize(result(pd.DataFrame({"x": []}), ("int64",))) == "The query returned no rows."


def test_scrub_hides_values_but_keeps_names_and_sql_text():
    text = 'Could not convert string \'Zebulon\' to INT32 in column "name"; near "CAST(name"'
    out = scrub(text, {"name"}, sql="SELECT CAST(name AS INT) FROM t")
    assert "Zebulon" not in out and HIDDEN in out and '"name"' in out and '"CAST(name"' in out


def test_sql_in_text_finds_fenced_or_bare_statements_only():
    assert sql_in_text("Sure:\n```sql\nSELECT 1\n```") == "SELECT 1"
    assert sql_in_text("select 2") == "select 2"
    assert sql_in_text("DROP TABLE x") == "DROP TABLE x"  # handed to the guard, which refuses it
    assert sql_in_text("I cannot answer that from this schema.") is None


def test_history_items_of_every_shape_become_turns():
    assert Turn.of("  ") is None and Turn.of("q") == Turn("q")
    assert Turn.of({"question": "q", "sql": "SELECT 1", "ok": False}) == Turn("q", None, None)
    assert Turn.of({"question": "q", "sql": "SELECT 1", "answer": "a"}) == Turn("q", "SELECT 1", "a")
    answer = AgentAnswer(question="q", sql="SELECT 2", answer="two")
    assert Turn.of(answer) == Turn("q", None, "two")  # no result: its SQL is not replayed


def test_chat_model_comes_from_settings(tmp_path):
    with pytest.raises(LLMNotConfigured) as info:
        chat_model(Settings.from_env({"OLYMPUS_HOME": str(tmp_path)}))
    assert "OPENAI_BASE_URL" in info.value.suggestion
    model = chat_model(Settings.from_env({"OLYMPUS_HOME": str(tmp_path), "OPENAI_API_KEY": "k",
                                          "OLYMPUS_MODEL": "llama3.1",
                                          "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}))
    assert model.model_name == "llama3.1" and model.temperature == 0
    assert model.openai_api_base == "http://127.0.0.1:9/v1" and model.use_responses_api is False
