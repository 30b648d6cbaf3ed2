"""Cancelling an English question stops its statement on the server, not only the waiting: the
agent's SQL (from the OpenAI stand-in) is gone from pg_stat_activity within 2 s of Cancel, the
loop asks the model nothing more, and the answer says it was cancelled."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from olympus.agent import ask
from olympus.errors import QueryCancelled
from olympus.runner import QueryHandle
from tests.agent.fake_openai import run_sql
from tests.agent.test_openai_http import http_workspace, pg_shop  # noqa: F401 - a fixture
from tests.waiting import until

# pg_sleep stays refused by the guard (even when an admin allows it), and the agent's SQL goes
# through the guard: a long read with no function call instead, minutes on any catalog.
HEAVY = "SELECT count(*) AS n FROM pg_attribute a, pg_attribute b, pg_attribute c"
QUESTION = "How many attribute triples are there?"


def running_on(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE '%pg_attribute a, pg_attribute b%' "
            "AND pid <> pg_backend_pid()").fetchone()[0])


@pytest.fixture()
def pg_ws(tmp_path, llm_server, pg_shop):
    ws = http_workspace(tmp_path, llm_server)
    ws.add_connection("pg", "postgresql", {"url": pg_shop})
    llm_server.script(run_sql(HEAVY, explanation="Count them."))  # one reply: a second call fails
    yield ws
    ws.close()
    ws.store.dispose()


def test_cancel_stops_the_agents_statement_and_the_loop(pg_ws, llm_server, pg_url):
    handle, out = QueryHandle(), []
    thread = threading.Thread(target=lambda: out.append(ask(pg_ws, "pg", QUESTION, handle=handle)),
                              daemon=True)
    thread.start()
    until(lambda: running_on(pg_url), 30, "the agent's query never started")
    time.sleep(0.3)
    assert not out, "the heavy query finished on its own"
    clicked = time.monotonic()
    handle.cancel()
    gone = until(lambda: not running_on(pg_url), 2, "still in pg_stat_activity 2 s after Cancel")
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - clicked < 2, "the loop went on"
    answer = out[0]
    assert isinstance(answer.error, QueryCancelled), repr(answer.error)
    assert answer.error.message == "Cancelled: the query was stopped on the server."
    assert answer.sql == HEAVY and not answer.ok and gone < 2
    assert len(llm_server.requests) == 1  # no retry, no phrasing call after Cancel
    assert [(e.status, e.question) for e in pg_ws.query_log()] == [("cancelled", QUESTION)]
    assert pg_ws.run_sql("pg", "SELECT 1 AS one").row_count == 1  # the pool is still usable


def test_cancel_before_the_first_statement_runs_nothing(pg_ws, llm_server, pg_url):
    handle = QueryHandle()
    handle.cancel()
    answer = ask(pg_ws, "pg", QUESTION, handle=handle)
    assert isinstance(answer.error, QueryCancelled) and answer.model_calls == 0
    assert not llm_server.requests and not running_on(pg_url)
    assert [(e.status, e.question) for e in pg_ws.query_log()] == [("cancelled", QUESTION)]


def test_ask_page_cancel_stops_the_question_on_the_server(pg_ws, llm_server, pg_url):
    """The Ask page's own start_question -> running.cancel path (what the Cancel button calls),
    and the entry the person then reads."""
    from olympus.ui import ask as ask_page, running

    job = ask_page.start_question(pg_ws, "pg", QUESTION)
    assert job.handle is not None
    until(lambda: running_on(pg_url), 30, "the agent's query never started")
    running.cancel(job)
    assert job.settled  # the page stops waiting at once
    until(lambda: not running_on(pg_url), 2, "still in pg_stat_activity 2 s after Cancel")
    assert job.done.wait(5) and running.was_cancelled(job)
    assert isinstance(job.outcome.error, QueryCancelled)
    error = running.cancelled_error(job)
    assert error["title"] == "Query cancelled"
    assert "question was stopped" in error["message"] and "stopped on the database" in \
        error["message"]
    assert len(llm_server.requests) == 1
