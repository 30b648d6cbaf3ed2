"""`Workspace.evaluate` and `python -m olympus eval` on the demo database, the agent talking to the
OpenAI-compatible stand-in server (scripted to answer some questions right and some wrong)."""

from __future__ import annotations

import json

import pytest

from olympus.crypto import generate_key
from olympus.store import NotFound
from olympus.semantic.eval_questions import DEMO_QUESTIONS, EvalQuestion, read_questions
from olympus.store import Store
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.agent.conftest import fake_openai, llm_server  # noqa: F401  (fixtures)
from tests.agent.fake_openai import run_sql, say
from tests.semantic.test_eval_questions import demo_path  # noqa: F401  (module fixture)
from tests.store_helpers import clean_env, cli, make_settings

BY_REGION = ("SELECT sum(l.outstanding_principal) AS o, b.region FROM main.loans l "
             "JOIN main.branches b ON b.branch_id = l.branch_id GROUP BY b.region ORDER BY 1")
PER_YEAR_DESC = ("SELECT year(origination_date) AS y, count(*) AS n FROM main.loans "
                 "GROUP BY 1 ORDER BY 1 DESC")
MORTGAGE = ("SELECT year(l.origination_date) AS yr, count(*) AS n FROM main.loans l JOIN "
            "main.loan_products p ON p.product_id = l.product_id WHERE p.category = 'Mortgage' "
            "GROUP BY 1 ORDER BY 1")
TOP5 = ("SELECT b.branch_name, sum(l.outstanding_principal) AS o FROM main.loans l JOIN "
        "main.branches b ON b.branch_id = l.branch_id GROUP BY 1 ORDER BY 2 DESC LIMIT 5")
SCRIPT = (run_sql("SELECT count(loan_id) AS n FROM main.loans"),  # right (another alias)
          run_sql(PER_YEAR_DESC),  # right rows, wrong order: the gold orders
          run_sql(MORTGAGE),  # the follow-up, right
          run_sql(BY_REGION),  # columns swapped, other order: the gold does not order -> right
          run_sql("SELECT branch_nam FROM main.branches"), run_sql(TOP5),  # fixed, still wrong
          say("I cannot tell which loans count as defaulted."))  # no SQL at all
KEY = "sk-eval-test"


@pytest.fixture()
def ws(tmp_path, llm_server, demo_path):  # noqa: F811
    settings = make_settings(tmp_path / "home", keys=(generate_key(),), OPENAI_API_KEY=KEY,
                             OPENAI_BASE_URL=llm_server.base_url, OLYMPUS_MODEL="stand-in-1")
    workspace = Workspace(Store.from_settings(settings), "eve", settings=settings)
    workspace.add_connection("demo", "duckdb", {"path": str(demo_path)})
    yield workspace
    workspace.close()


def test_accuracy_misses_order_and_follow_ups_on_the_demo(ws, llm_server):
    llm_server.script(*SCRIPT)
    seen = []
    report = ws.evaluate("demo", DEMO_QUESTIONS, limit=6, on_outcome=seen.append)
    got = {o.id: o for o in report.outcomes}
    assert [o.id for o in seen] == [q.id for q in read_questions(DEMO_QUESTIONS, limit=6)]
    assert {i: o.status for i, o in got.items()} == {
        "loans-total": "correct", "loans-per-year": "wrong", "loans-per-year-mortgage": "correct",
        "outstanding-by-region": "correct", "top10-branches-outstanding": "wrong",
        "default-share-by-band": "error"}
    assert report.accuracy == 0.5 and report.to_dict()["correct"] == 3
    assert [o.id for o in report.misses] == ["loans-per-year", "top10-branches-outstanding",
                                             "default-share-by-band"]
    assert got["loans-per-year"].reason == "right rows in the wrong order" and got["loans-per-year"].ordered
    assert not got["outstanding-by-region"].ordered
    top = got["top10-branches-outstanding"]
    assert top.reason == "5 row(s), expected 10" and top.attempts == 1 and top.model_calls == 2
    assert (top.rows, top.expected_rows) == (5, 10) and top.sql == TOP5
    assert got["default-share-by-band"].reason.startswith("No query produced")
    # the follow-up carried its conversation: the earlier question and the agent's SQL
    follow_up = llm_server.requests[2]["messages"]
    assert follow_up[1]["content"] == got["loans-per-year"].question
    assert PER_YEAR_DESC in follow_up[2]["content"] and follow_up[-1]["content"].startswith("Only")
    assert len(llm_server.requests[3]["messages"]) == 2  # not a follow-up: a fresh chat
    assert all(o.tokens > 0 and o.latency_ms > 0 for o in report.outcomes)
    assert top.tokens > got["loans-total"].tokens  # two model calls cost more than one
    assert report.to_dict()["tokens"] == sum(o.tokens for o in report.outcomes)
    assert report.model == "stand-in-1"


def test_the_agent_runs_through_the_guard_and_the_query_log(ws, llm_server):
    llm_server.script(run_sql("DELETE FROM main.loans"), run_sql("DROP TABLE main.loans"),
                      run_sql("UPDATE main.loans SET principal = 0"))
    report = ws.evaluate("demo", [EvalQuestion("w", "Wipe the loans", "SELECT count(*) FROM loans")])
    assert report.outcomes[0].status == "error" and report.outcomes[0].attempts == 3
    assert ws.run_sql("demo", "SELECT count(*) AS n FROM loans").rows() == [[12506]]
    statuses = [e.status for e in ws.query_log() if e.question == "Wipe the loans"]
    assert len(statuses) == 3 and "ok" not in statuses


def test_a_broken_gold_sql_is_not_scored_and_the_model_failing_stops_the_run(ws, llm_server):
    llm_server.script(run_sql("SELECT 1 AS one"))
    questions = [EvalQuestion("bad", "Anything?", "SELECT * FROM no_such_table"),
                 EvalQuestion("next", "How many loans?", "SELECT count(*) FROM loans")]
    llm_server.script(run_sql("SELECT 1 AS one"),
                      {"error": f"Incorrect API key provided: {KEY}.", "status": 401})
    report = ws.evaluate("demo", questions)
    assert [o.status for o in report.outcomes] == ["gold_error"] and report.accuracy is None
    assert "no_such_table" in report.outcomes[0].reason
    assert report.stopped is not None and "401" in json.dumps(report.stopped)
    assert KEY not in json.dumps(report.to_dict())


def test_setup_errors_and_rights(ws, llm_server, tmp_path):
    with pytest.raises(NotFound):
        ws.evaluate("nope", DEMO_QUESTIONS)
    viewer = Workspace(ws.store, settings=ws.settings,
                       principal=Principal("val", ws.owner, "viewer"))
    with pytest.raises(Forbidden):
        viewer.evaluate("demo", DEMO_QUESTIONS)
    assert llm_server.requests == []


# ---- the CLI ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    """A CLI home with the demo registered as "Demo" (built once for the CLI tests)."""
    home = tmp_path_factory.mktemp("evalcli") / "home"
    assert cli(home, "demo").returncode == 0
    return home


def eval_cli(home, server, *args):
    env = clean_env(home, OPENAI_API_KEY="test", OPENAI_BASE_URL=server.base_url)
    return cli(home, "eval", *args, env=env)


def test_cli_prints_the_table_totals_and_misses(cli_home, llm_server):
    home = cli_home
    llm_server.script(*SCRIPT[:2])
    done = eval_cli(home, llm_server, "Demo", str(DEMO_QUESTIONS), "--limit", "2")
    assert done.returncode == 0, done.stderr  # misses are a result, not a failure
    out = done.stdout
    assert "Execution accuracy: 1/2 (50.0%)" in out and "connection Demo" in out
    assert "loans-total" in out and "MISS loans-per-year" in out
    assert "why: right rows in the wrong order" in out and PER_YEAR_DESC in out
    assert "[1] loans-total: ok" in done.stderr and "[2] loans-per-year: MISS" in done.stderr


def test_cli_json_and_setup_errors(cli_home, llm_server, tmp_path):
    home = cli_home
    llm_server.script(SCRIPT[0])
    done = eval_cli(home, llm_server, "Demo", str(DEMO_QUESTIONS), "--limit", "1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["questions"], data["correct"], data["accuracy"], data["misses"]) == (1, 1, 1.0, [])
    assert data["outcomes"][0]["sql"] == "SELECT count(loan_id) AS n FROM main.loans"
    assert data["outcomes"][0]["tokens"] > 0 and data["outcomes"][0]["latency_ms"] > 0
    missing = eval_cli(home, llm_server, "Demo", str(tmp_path / "none.jsonl"))
    assert missing.returncode != 0 and "Cannot read the question file" in missing.stderr
    unknown = eval_cli(home, llm_server, "Nope", str(DEMO_QUESTIONS))
    assert unknown.returncode != 0 and "Nope" in unknown.stderr
    no_key = cli(home, "eval", "Demo", str(DEMO_QUESTIONS), env=clean_env(home))
    assert no_key.returncode != 0 and "OPENAI_API_KEY" in no_key.stderr + no_key.stdout
    assert "Traceback" not in missing.stderr + unknown.stderr + no_key.stderr
