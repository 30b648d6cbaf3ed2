"""The real ChatOpenAI code path over HTTP against the scripted stand-in server: PostgreSQL, demo, CLI."""

from __future__ import annotations

import json

import psycopg
import pytest

from olympus.agent import ask
from olympus.charts import ChartSpec
from olympus.crypto import generate_key
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.conftest import NAMES
from tests.agent.fake_openai import run_sql, tool_call
from tests.store_helpers import clean_env, cli, make_settings

KEY = "sk-test-olympus-123"
MONTHLY = ("SELECT date_trunc('month', l.origination_date) AS month, b.region, count(*) AS loans "
           "FROM main.loans l JOIN main.branches b ON b.branch_id = l.branch_id "
           "WHERE l.origination_date >= DATE '2024-01-01' GROUP BY ALL ORDER BY 1, 2")
PG_TOTALS = ("SELECT c.region, sum(o.amount) AS total FROM public.orders o JOIN public.customers c "
             "ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")


@pytest.fixture()
def pg_shop(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, region text)")
        conn.execute("COMMENT ON TABLE customers IS 'People who buy from the shop'")
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, "
                     "amount numeric(10,2) NOT NULL)")
        conn.execute("COMMENT ON COLUMN orders.amount IS 'Order total in USD'")
        conn.execute("CREATE TABLE canary (id int PRIMARY KEY)")
        conn.execute("INSERT INTO canary SELECT generate_series(1, 7)")
        for i, name in enumerate(NAMES, 1):
            conn.execute("INSERT INTO customers VALUES (%s, %s, %s)", (i, name, "NS"[i % 2]))
        conn.execute("INSERT INTO orders SELECT g, g % 3 + 1, g * 1.25 FROM generate_series(1, 30) g")
    return pg_url


def pg_scalar(url: str, sql: str):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def http_workspace(tmp_path, server, **env):
    settings = make_settings(tmp_path / "home", keys=(generate_key(),), OPENAI_API_KEY=KEY,
                             OPENAI_BASE_URL=server.base_url, **env)
    return Workspace(Store.from_settings(settings), "bob", settings=settings)


def test_question_to_chart_on_postgresql_through_chatopenai(tmp_path, llm_server, pg_shop):
    ws = http_workspace(tmp_path, llm_server)
    ws.add_connection("pg", "postgresql", {"url": pg_shop})
    llm_server.script(tool_call("describe_table", tables=["public.orders"]),
                      run_sql(f"```sql\n{PG_TOTALS}\n```", explanation="Order totals per region.",
                              chart={"mark": "bar", "x": "region", "y": "total"}))
    out = ask(ws, "pg", "What is the order total per region?")
    assert out.ok, out.error
    expected = pg_scalar(pg_shop, "SELECT c.region, sum(o.amount) FROM orders o JOIN customers c "
                                  "ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")
    assert [[r, float(t)] for r, t in out.result.rows()] == [[r, float(t)] for r, t in expected]
    assert out.chart == ChartSpec("bar", x="region", y="total") and out.sql == PG_TOTALS
    first, second = llm_server.requests
    assert first["model"] == "gpt-4o-mini" and first["temperature"] == 0 and not first["stream"]
    assert llm_server.headers[0]["authorization"] == f"Bearer {KEY}"
    assert {t["function"]["name"] for t in first["tools"]} >= {"run_sql", "describe_table"}
    system = first["messages"][0]
    assert system["role"] == "system" and 'sqlglot dialect "postgres"' in system["content"]
    assert "public.orders" in system["content"] and "ILIKE" in system["content"]
    tool_reply = second["messages"][-1]
    assert tool_reply["role"] == "tool" and "Order total in USD" in tool_reply["content"]
    assert tool_reply["tool_call_id"] == second["messages"][-2]["tool_calls"][0]["id"]
    assert not any(name in llm_server.sent_text() for name in NAMES)
    assert out.tokens > 0 and out.model_calls == 2
    assert [(e.status, e.question, e.owner) for e in ws.query_log()] == [
        ("ok", "What is the order total per region?", "bob")]
    ws.close()


def test_guard_holds_on_postgresql_when_the_model_turns_hostile(tmp_path, llm_server, pg_shop):
    ws = http_workspace(tmp_path, llm_server)
    ws.add_connection("pg", "postgresql", {"url": pg_shop})
    llm_server.script(run_sql("DELETE FROM canary"), run_sql("SELECT 1; DROP TABLE canary"),
                      run_sql("WITH d AS (DELETE FROM canary RETURNING id) SELECT count(*) FROM d"),
                      run_sql("SELECT 1"))
    out = ask(ws, "pg", "Tidy up please")
    assert not out.ok and out.error.kind == "unsafe_sql" and len(out.attempts) == 3
    assert len(llm_server.requests) == 3 and "Writes are not allowed" in out.error.message
    assert "Statement refused" in llm_server.requests[1]["messages"][-1]["content"]
    assert pg_scalar(pg_shop, "SELECT count(*) FROM canary") == [(7,)]
    ws.close()


def test_question_to_chart_on_the_demo_duckdb(tmp_path, llm_server):
    ws = http_workspace(tmp_path, llm_server, OLYMPUS_MODEL="demo-model")
    ws.ensure_demo()
    llm_server.script(run_sql(MONTHLY, chart={"mark": "line", "x": "month", "y": "loans",
                                              "color": "region"}))
    out = ask(ws, "Demo", "How many loans did we originate each month in 2024 and 2025, by region?")
    assert out.ok, out.error
    assert out.chart == ChartSpec("line", x="month", y="loans", color="region")
    total = ws.run_sql("Demo", "SELECT count(*) AS n FROM loans WHERE origination_date >= DATE '2024-01-01'")
    assert sum(row[2] for row in out.result.rows()) == total.rows()[0][0] > 0
    assert {"main.loans", "main.branches"} <= set(out.tables_sent)
    assert llm_server.requests[0]["model"] == "demo-model"
    assert 'sqlglot dialect "duckdb"' in llm_server.requests[0]["messages"][0]["content"]
    ws.close()


def test_an_http_error_from_the_model_server_is_shown_not_hidden(tmp_path, llm_server, shop_path):
    ws = http_workspace(tmp_path, llm_server)
    ws.add_connection("shop", "duckdb", {"path": str(shop_path)})
    llm_server.script({"error": "Incorrect API key provided: sk-tes***123.", "status": 401})
    out = ask(ws, "shop", "How many orders?")
    assert not out.ok and out.error.kind == "llm"
    assert "401" in out.error.message and "Incorrect API key" in out.error.message
    assert ws.query_log()[0].status == "error"
    ws.close()


def test_a_401_that_echoes_the_api_key_never_shows_the_key(tmp_path, llm_server, shop_path):
    ws = http_workspace(tmp_path, llm_server)
    ws.add_connection("shop", "duckdb", {"path": str(shop_path)})
    llm_server.script({"error": f"Incorrect API key provided: {KEY}. Find your key at "
                                "https://platform.openai.com/account/api-keys.", "status": 401})
    out = ask(ws, "shop", "How many orders?")
    assert not out.ok and out.error.kind == "llm"
    assert "401" in out.error.message and "Incorrect API key provided: ***" in out.error.message
    shown = json.dumps(out.error.to_dict()) + repr(out.error) + str(out.error.__cause__)
    assert KEY not in shown and KEY not in (out.error.detail or "")
    assert KEY not in (ws.query_log()[0].error or "")
    ws.close()


# ---- the CLI ----------------------------------------------------------------------------------
def ask_cli(home, server, *args):
    env = clean_env(home, OPENAI_API_KEY="test", OPENAI_BASE_URL=server.base_url)
    return cli(home, "ask", *args, env=env)


def test_cli_ask_json_on_postgresql(tmp_path, llm_server, pg_shop):
    home = tmp_path / "cli"
    assert cli(home, "connections", "add", "pg", "--url", pg_shop).returncode == 0
    llm_server.script(run_sql(PG_TOTALS, chart={"mark": "bar", "x": "region", "y": "total"}))
    done = ask_cli(home, llm_server, "pg", "Order total per region?", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["question"] == "Order total per region?" and data["sql"] == PG_TOTALS
    assert data["columns"] == ["region", "total"] and data["row_count"] == len(data["rows"]) == 2
    assert data["chart"] == {"mark": "bar", "x": "region", "y": "total", "color": None}
    assert "public.orders" in data["tables_sent"] and data["attempts"] == []
    assert data["answer"].startswith("2 rows") and data["error"] is None
    assert llm_server.headers[0]["authorization"] == "Bearer test"


def test_cli_ask_on_the_demo_prints_answer_sql_and_table(tmp_path, llm_server):
    home = tmp_path / "cli"
    assert cli(home, "demo").returncode == 0
    llm_server.script(run_sql("SELECT count(*) AS loans FROM loans", explanation="Counts all loans."))
    done = ask_cli(home, llm_server, "Demo", "How many loans are there?")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Counts all loans. The answer is 12,506 (loans).")
    assert "SELECT count(*) AS loans FROM loans" in done.stdout and "12506" in done.stdout
    assert "1 row(s)" in done.stderr


def test_cli_ask_failure_exits_non_zero_with_the_real_error(tmp_path, llm_server, shop_path):
    home = tmp_path / "cli"
    assert cli(home, "connections", "add", "shop", "--type", "duckdb", "--param",
               f"path={shop_path}").returncode == 0
    llm_server.script(*(run_sql(f"SELECT missing_{i} FROM orders") for i in range(3)))
    done = ask_cli(home, llm_server, "shop", "Impossible?", "--json")
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing_2" in lines[0] and "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert [a["sql"] for a in data["attempts"]] == [f"SELECT missing_{i} FROM orders" for i in range(3)]
    assert data["error"]["sql"] == "SELECT missing_2 FROM orders" and len(llm_server.requests) == 3


def test_cli_ask_without_a_key_says_how_to_configure(tmp_path, shop_path):
    home = tmp_path / "cli"
    assert cli(home, "connections", "add", "shop", "--type", "duckdb", "--param",
               f"path={shop_path}").returncode == 0
    done = cli(home, "ask", "shop", "How many orders?")
    assert done.returncode == 1 and "OPENAI_API_KEY" in done.stderr and "Traceback" not in done.stderr
