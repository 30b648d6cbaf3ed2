"""The shipped demo question set: every gold SQL runs on the demo through the guarded runner and
returns rows; the set covers joins, time windows, ratios, top-N and follow-ups; bad files fail
with the line that is wrong."""

from __future__ import annotations

import json

import pytest

from olympus.crypto import generate_key
from olympus.demo import build_demo
from olympus.errors import ConfigError
from olympus.semantic.eval_compare import gold_orders
from olympus.semantic.eval_questions import DEMO_QUESTIONS, read_questions
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("evaldemo") / "demo.duckdb").path


@pytest.fixture()
def demo_ws(tmp_path, demo_path):
    settings = make_settings(tmp_path / "home", keys=(generate_key(),))
    ws = Workspace(Store.from_settings(settings), "eve", settings=settings)
    ws.add_connection("demo", "duckdb", {"path": str(demo_path)})
    yield ws
    ws.close()


def test_every_shipped_gold_sql_runs_on_the_demo_and_returns_rows(demo_ws):
    questions = read_questions(DEMO_QUESTIONS)
    assert len(questions) >= 30
    for q in questions:
        result = demo_ws.run_sql("demo", q.sql)
        assert result.row_count > 0 and not result.truncated, q.id
        assert all(v is not None for row in result.rows() for v in row), q.id  # no empty answers


def test_the_shipped_set_covers_joins_windows_ratios_top_n_and_follow_ups():
    questions = read_questions(DEMO_QUESTIONS)
    sqls = [q.sql.upper() for q in questions]
    assert sum(" JOIN " in s for s in sqls) >= 15
    assert sum("DATE '" in s or "YEAR(" in s or "DATE_TRUNC" in s for s in sqls) >= 8
    assert sum("AVG(CASE" in s for s in sqls) >= 5  # shares and rates
    top_n = [q for q in questions if "LIMIT" in q.sql.upper() and gold_orders(q.sql, "duckdb")]
    assert len(top_n) >= 5
    follow = [q for q in questions if q.follow_up_of]
    assert len(follow) >= 5
    assert len({q.id for q in questions}) == len(questions)


def test_top_n_gold_answers_have_no_tie_at_the_cut(demo_ws):
    """A top-N whose Nth and N+1th rows tie has two right answers: none ships."""
    for q in read_questions(DEMO_QUESTIONS):
        upper = q.sql.upper()
        if "LIMIT" not in upper or not gold_orders(q.sql, "duckdb") or " WITH " in f" {upper}":
            continue
        n = int(upper.rsplit("LIMIT", 1)[1])
        more = demo_ws.run_sql("demo", q.sql.rsplit("LIMIT", 1)[0] + f"LIMIT {n + 1}").rows()
        if len(more) > n:
            assert more[n - 1][-1] != more[n][-1], q.id


@pytest.mark.parametrize("lines, problem", [
    (['{"id": "a", "question": "Q?", "sql": "SELECT 1"}', "{oops"], "line 2: not JSON"),
    (['{"id": "a", "question": "Q?", "sql": "SELECT 1"}'] * 2, "the id 'a' is used twice"),
    (['{"id": "a", "question": "Q?", "sql": "SELECT 1", "follow_up_of": "z"}'],
     "'z' is not the id of an earlier question"),
    (['{"id": "a", "question": "", "sql": "SELECT 1"}'], '"question" must be a non-empty string'),
    (['{"id": "a", "question": "Q?", "sql": "SELECT 1", "gold": 1}'], "unknown field(s) 'gold'"),
    (['["a"]'], "expected a JSON object"),
    ([""], "no questions"),
])
def test_a_bad_question_file_says_which_line_and_what(tmp_path, lines, problem):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        read_questions(path)
    assert caught.value.title == "Bad question file" and problem in caught.value.message


def test_numeric_ids_and_a_byte_order_mark_are_fine(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('\ufeff{"id": 1, "question": "Q?", "sql": "SELECT 1"}\n'
                    '{"id": 2, "question": "And?", "sql": "SELECT 2", "follow_up_of": 1}\n',
                    encoding="utf-8")
    assert [(q.id, q.follow_up_of) for q in read_questions(path)] == [("1", None), ("2", "1")]


def test_limit_and_a_missing_file(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "question": "Q?", "sql": "SELECT 1"}) + "\n"
                            for i in range(5)))
    assert [q.id for q in read_questions(path, limit=2)] == ["q0", "q1"]
    with pytest.raises(ConfigError, match="Cannot read the question file"):
        read_questions(tmp_path / "nope.jsonl")
