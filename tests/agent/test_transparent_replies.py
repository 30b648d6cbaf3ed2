"""Follow-up questions read robustly from untrusted model output; rates in the local answer as
percentages; the agent's answer carries both (real agent loop, stand-in server over HTTP)."""

from __future__ import annotations

import pytest

from olympus.agent import ask
from olympus.agent.replies import follow_ups, split_follow_ups
from olympus.crypto import generate_key
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.fake_openai import run_sql, say
from tests.store_helpers import make_settings


@pytest.mark.parametrize("value, expected", [
    (["By year?", "By region?"], ("By year?", "By region?")),
    ('["By year?", "by YEAR?", "Top 5?", "And by month?"]', ("By year?", "Top 5?", "And by month?")),
    ([{"question": "By year?"}, 7, None, "  - 2.  **By region?**  "], ("By year?", "By region?")),
    ("1. By year?\n2) By region?\n\n", ("By year?", "By region?")),
    ("x" * 400, ()),  # one line too long to be a question: dropped, not cut
    ({"q": "By year?"}, ()),
    (None, ()),
    (["ok?", "a\nb\tc?"], ("ok?", "a b c?")),  # one line each
])
def test_follow_ups_are_short_single_line_strings_at_most_three(value, expected):
    assert follow_ups(value) == expected


@pytest.mark.parametrize("text, answer, questions", [
    ("North leads.\n\nFollow-up questions:\n- What about 2024?\n- By month?",
     "North leads.", ("What about 2024?", "By month?")),
    ("North leads.\n**Suggested follow-ups**\n1. What about 2024?", "North leads.",
     ("What about 2024?",)),
    ("North leads. Follow-up questions: What about 2024? By month?", "North leads.",
     ("What about 2024?", "By month?")),
    ("A follow-up analysis could help.", "A follow-up analysis could help.", ()),
    ("Totals: 5.", "Totals: 5.", ()),
])
def test_a_follow_up_list_is_split_off_the_answer(text, answer, questions):
    assert split_follow_ups(text) == (answer, questions)


@pytest.fixture()
def ws(tmp_path, llm_server, shop_path):
    settings = make_settings(tmp_path / "home", keys=(generate_key(),), OPENAI_API_KEY="sk-x",
                             OPENAI_BASE_URL=llm_server.base_url)
    workspace = Workspace(Store.from_settings(settings), "ann", settings=settings)
    workspace.add_connection("shop", "duckdb", {"path": str(shop_path)})
    workspace.add_connection("open", "duckdb", {"path": str(shop_path)}, expose_data_to_llm=True)
    yield workspace
    workspace.close()


SHARE = "SELECT avg(CASE WHEN amount > 50 THEN 1.0 ELSE 0 END) AS big_order_share FROM main.orders"


def test_the_answer_carries_attempts_follow_ups_and_a_rate_as_a_percentage(ws, llm_server):
    llm_server.script(run_sql("SELECT nope FROM main.orders"),
                      run_sql(SHARE, follow_ups=["By region?", "By year?"]))
    out = ask(ws, "shop", "What share of orders are over $50?")
    expected = sum(10 + k * 2.5 > 50 for k in range(40)) / 40
    assert out.ok and out.answer == f"The answer is {expected:.1%} (big_order_share)."
    assert [a.sql for a in out.attempts] == ["SELECT nope FROM main.orders"]
    assert "nope" in out.attempts[0].error
    assert out.follow_ups == ("By region?", "By year?")
    data = out.to_dict()
    assert data["follow_ups"] == ["By region?", "By year?"] and len(data["attempts"]) == 1
    tool = next(t for t in llm_server.requests[0]["tools"] if t["function"]["name"] == "run_sql")
    assert "follow_ups" in tool["function"]["parameters"]["properties"]


def test_with_data_shared_the_worded_answer_keeps_its_list_apart(ws, llm_server):
    llm_server.script(run_sql(SHARE),
                      say("Most orders are big.\nFollow-up questions:\n1. Which region?\n2. Why?"))
    out = ask(ws, "open", "What share of orders are over $50?")
    assert out.answer == "Most orders are big." and out.follow_ups == ("Which region?", "Why?")


def test_a_plain_count_is_not_a_percentage(ws, llm_server):
    llm_server.script(run_sql("SELECT count(*) AS order_count FROM main.orders"))
    assert ask(ws, "shop", "How many orders?").answer == "The answer is 40 (order_count)."


def test_cli_ask_shows_the_failed_attempt_and_the_follow_ups(tmp_path, llm_server, shop_path):
    from tests.store_helpers import clean_env, cli

    home = tmp_path / "cli"
    assert cli(home, "connections", "add", "shop", "--type", "duckdb", "--param",
               f"path={shop_path}").returncode == 0
    llm_server.script(run_sql("SELECT nope FROM main.orders"),
                      run_sql(SHARE, follow_ups=["By region?", "By year?"]))
    done = cli(home, "ask", "shop", "Share of big orders?",
               env=clean_env(home, OPENAI_API_KEY="sk-x", OPENAI_BASE_URL=llm_server.base_url))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The answer is ") and "%" in done.stdout.splitlines()[0]
    err = done.stderr
    assert "Attempt 1 failed: " in err and "nope" in err and "SELECT nope FROM main.orders" in err
    assert "Follow-up questions:\n  By region?\n  By year?" in err
