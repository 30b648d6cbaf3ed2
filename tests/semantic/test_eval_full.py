"""The whole shipped question set through the real agent and the stand-in server: a model that
writes the gold SQL scores 100% (every comparison accepts its own gold, follow-ups included);
a query limit is waited out, not scored as a miss."""

from __future__ import annotations

import time

from olympus.crypto import generate_key
from olympus.runner import RateLimiter
from olympus.semantic.eval_questions import DEMO_QUESTIONS, read_questions
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.conftest import fake_openai, llm_server  # noqa: F401  (fixtures)
from tests.agent.fake_openai import run_sql
from tests.semantic.test_eval_questions import demo_path  # noqa: F401  (module fixture)
from tests.store_helpers import make_settings

QUESTIONS = read_questions(DEMO_QUESTIONS)
GOLD = {q.question: q.sql for q in QUESTIONS}


def gold_model(body: dict) -> dict:
    """A model that answers each question with its gold SQL (the last user message is it)."""
    asked = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    return run_sql(GOLD[asked])


def workspace(tmp_path, server, path, **kwargs) -> Workspace:
    settings = make_settings(tmp_path / "home", keys=(generate_key(),), OPENAI_API_KEY="sk-x",
                             OPENAI_BASE_URL=server.base_url, OLYMPUS_USER_RATE_LIMIT=10_000,
                             OLYMPUS_RATE_LIMIT=10_000)
    ws = Workspace(Store.from_settings(settings), "gil", settings=settings, **kwargs)
    ws.add_connection("demo", "duckdb", {"path": str(path)})
    return ws


def test_the_gold_sql_as_the_answer_scores_every_shipped_question(tmp_path, llm_server,
                                                                   demo_path):  # noqa: F811
    assert len(GOLD) == len(QUESTIONS)  # question texts are unique: the model can look them up
    llm_server.script(*[gold_model] * len(QUESTIONS))
    ws = workspace(tmp_path, llm_server, demo_path)
    try:
        report = ws.evaluate("demo", DEMO_QUESTIONS)
    finally:
        ws.close()
    assert [(o.id, o.status, o.reason) for o in report.misses] == []
    assert report.accuracy == 1.0 and len(report.outcomes) == len(QUESTIONS) >= 30
    assert len(llm_server.requests) == len(QUESTIONS)  # one model call each
    follow_up = next(q for q in QUESTIONS if q.follow_up_of)
    sent = llm_server.requests[QUESTIONS.index(follow_up)]["messages"]
    parent = next(q for q in QUESTIONS if q.id == follow_up.follow_up_of)
    assert sent[1]["content"] == parent.question and parent.sql in sent[2]["content"]


def test_a_query_limit_is_waited_out_and_not_scored(tmp_path, llm_server, demo_path):  # noqa: F811
    llm_server.script(*[gold_model] * 20)
    waits: list[float] = []

    def pause(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(1.1)  # the limiter's window below is one second

    ws = workspace(tmp_path, llm_server, demo_path, limiter=RateLimiter(max_calls=2, per_s=1.0))
    try:
        from olympus.semantic.evaluate import run_eval

        report = run_eval(ws, "demo", QUESTIONS[:3], pause=pause)
    finally:
        ws.close()
    assert [o.status for o in report.outcomes] == ["correct"] * 3
    assert waits and set(waits) == {60}  # this limiter names no retry time: a minute is assumed
