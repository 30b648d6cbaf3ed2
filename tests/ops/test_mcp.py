"""The MCP server in process, through the SDK's own Client, on the embedded demo database: the
four tools, roles (a viewer can't run_sql or ask), the guard and the logs (source mcp), friendly
tool errors, and ask through the stand-in OpenAI server."""

from __future__ import annotations

import anyio
import duckdb
import pytest
import sqlalchemy as sa
from mcp import Client

from olympus.crypto import generate_key
from olympus.ops.mcp_server import Olympus, build_server
from olympus.store import Store
from olympus.store_db import audit_log
from olympus.teams import Principal
from olympus.workspace import Workspace
from tests.agent.fake_openai import FakeOpenAI, run_sql as llm_sql, say
from tests.store_helpers import make_settings

SPACE = "team"
ADMIN, EDITOR, VIEWER = (Principal("ann@x.io", SPACE, "admin"),
                         Principal("ed@x.io", SPACE, "editor"),
                         Principal("vic@x.io", SPACE, "viewer"))


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path / "home", keys=(generate_key(),),
                         OLYMPUS_DATA_DIR=str(tmp_path))


@pytest.fixture()
def store(settings):
    opened = Store.from_settings(settings)
    Workspace(opened, settings=settings, principal=ADMIN).ensure_demo()
    yield opened
    opened.dispose()


def calls(store, settings, principal, *steps: tuple[str, dict]) -> list:
    """Each (tool, arguments) through the SDK client, in one session, as `principal`."""
    olympus = Olympus(store, settings, principal=principal)

    async def go():
        async with Client(build_server(olympus)) as client:
            return [await client.call_tool(name, args) for name, args in steps]

    try:
        return anyio.run(go)
    finally:
        olympus.close()


def text(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def demo_count(store, sql: str):
    path = Workspace(store, principal=ADMIN).get("Demo").params["path"]
    with duckdb.connect(path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_tools_are_listed_with_read_only_annotations(store, settings):
    async def go():
        async with Client(build_server(Olympus(store, settings, principal=VIEWER))) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in anyio.run(go)}
    assert set(tools) == {"list_connections", "describe_schema", "run_sql", "ask"}
    assert all(t.annotations.read_only_hint for t in tools.values())
    assert {"connection", "sql"} <= set(tools["run_sql"].input_schema["required"])


def test_viewer_lists_and_describes_but_cannot_run_sql_or_ask(store, settings):
    listed, described, refused, asked = calls(
        store, settings, VIEWER, ("list_connections", {}),
        ("describe_schema", {"connection": "Demo", "question": "loan amounts by branch"}),
        ("run_sql", {"connection": "Demo", "sql": "select count(*) from loans"}),
        ("ask", {"connection": "Demo", "question": "how many loans?"}))
    assert not listed.is_error and not described.is_error
    assert [c["name"] for c in listed.structured_content["connections"]] == ["Demo"]
    assert "main.loans" in described.structured_content["tables"]
    assert "CREATE" not in described.structured_content["schema"]
    assert refused.is_error and asked.is_error
    assert "As viewer of this space you can't run ad-hoc SQL" in text(refused)
    assert "As viewer" in text(asked)
    assert "Traceback" not in text(refused) + text(asked)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.user == VIEWER.user)).all()
    assert [(r.action, r.status) for r in rows] == [("query", "refused")]


def test_list_connections_never_shows_parameters_or_secrets(store, settings, tmp_path):
    admin = Workspace(store, settings=settings, principal=ADMIN)
    admin.add_connection("warehouse", "postgresql",
                         {"host": "db.internal.example", "port": 5432, "database": "sales",
                          "username": "reader", "password": "hunter2-secret"}, test_first=False)
    (result,) = calls(store, settings, EDITOR, ("list_connections", {}))
    dumped = str(result.structured_content) + text(result)
    assert {c["name"] for c in result.structured_content["connections"]} == {"Demo", "warehouse"}
    for leak in ("hunter2-secret", "db.internal.example", "reader", str(tmp_path)):
        assert leak not in dumped


def test_run_sql_returns_columns_and_capped_rows_logged_as_mcp(store, settings):
    expected = demo_count(store, "select count(*) from loans")[0][0]
    counted, capped = calls(
        store, settings, EDITOR,
        ("run_sql", {"connection": "Demo", "sql": "select count(*) as n from loans"}),
        ("run_sql", {"connection": "Demo", "sql": "select loan_id from loans order by 1",
                     "limit": 5}))
    assert counted.structured_content["columns"] == ["n"]
    assert counted.structured_content["rows"] == [[expected]]
    first = [list(r) for r in demo_count(store, "select loan_id from loans order by 1 limit 5")]
    assert capped.structured_content["rows"] == first
    assert capped.structured_content["truncated"] is True
    log = Workspace(store, settings=settings, principal=ADMIN).query_log(limit=5)
    assert [(e.source, e.user, e.status) for e in log[:2]] == [("mcp", EDITOR.user, "ok")] * 2


def test_unsafe_sql_is_refused_by_the_guard_and_audited_with_source_mcp(store, settings):
    before = demo_count(store, "select count(*) from loans")
    (refused,) = calls(store, settings, ADMIN,
                       ("run_sql", {"connection": "Demo", "sql": "delete from loans"}))
    assert refused.is_error
    assert "Statement refused" in text(refused) and "DELETE" in text(refused)
    assert demo_count(store, "select count(*) from loans") == before
    entry = Workspace(store, settings=settings, principal=ADMIN).query_log(limit=1)[0]
    assert (entry.source, entry.status, entry.sql) == ("mcp", "refused", "delete from loans")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.action == "query")
                           .order_by(audit_log.c.id.desc())).first()
    assert (row.user, row.status, row.sql) == (ADMIN.user, "refused", "delete from loans")


def test_errors_are_friendly_text(store, settings):
    missing, bad = calls(store, settings, EDITOR,
                         ("describe_schema", {"connection": "nope"}),
                         ("run_sql", {"connection": "Demo", "sql": "select nope from loans"}))
    assert missing.is_error and "nope" in text(missing)
    assert bad.is_error and "nope" in text(bad)
    for result in (missing, bad):
        assert "Traceback" not in text(result) and 'File "' not in text(result)


def test_ask_without_an_llm_is_a_clear_tool_error(store, settings):
    (result,) = calls(store, settings, EDITOR,
                      ("ask", {"connection": "Demo", "question": "how many loans?"}))
    assert result.is_error and "No LLM configured" in text(result)


def test_ask_answers_through_the_agent(store, tmp_path):
    expected = demo_count(store, "select count(*) from loans")[0][0]
    with FakeOpenAI() as llm:
        llm.script(llm_sql("select count(*) as n from loans"), say("There are many loans."))
        settings = make_settings(tmp_path / "home", keys=store.settings.secret_keys,
                                 OLYMPUS_DATA_DIR=str(tmp_path), OPENAI_API_KEY="sk-test",
                                 OPENAI_BASE_URL=llm.base_url)
        (result,) = calls(store, settings, EDITOR,
                          ("ask", {"connection": "Demo", "question": "How many loans?"}))
    assert not result.is_error, text(result)
    assert result.structured_content["rows"] == [[expected]]
    assert result.structured_content["sql"].lower().startswith("select count(*)")
    entry = Workspace(store, settings=settings, principal=ADMIN).query_log(limit=1)[0]
    assert (entry.source, entry.user, entry.question) == ("mcp", EDITOR.user, "How many loans?")
