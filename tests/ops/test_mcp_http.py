"""`python -m olympus mcp` as a user starts it: streamable HTTP (the SDK's HTTP client with a
bearer token, or a trusted proxy header) and stdio (the SDK's stdio_client), on the demo."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from olympus.crypto import generate_key
from olympus.store import Store
from olympus.store_teams import Teams
from olympus.teams import Principal
from olympus.workspace import Workspace
from tests.services import free_port
from tests.store_helpers import REPO, clean_env, make_settings

SPACE = "team"
PEOPLE = {"ann@x.io": "admin", "ed@x.io": "editor", "vic@x.io": "viewer"}
HEADER = "X-Forwarded-Email"


@pytest.fixture()
def team(tmp_path):
    """A proxy-auth store with a space of three members, the demo, and a token each."""
    key = generate_key()
    env = dict(OLYMPUS_AUTH="proxy", OLYMPUS_DATA_DIR=str(tmp_path), OLYMPUS_SECRET_KEY=key)
    settings = make_settings(tmp_path / "home", **env)
    store = Store.from_settings(settings)
    teams = Teams(store)
    teams.create_space("Team", space_id=SPACE)
    for email, role in PEOPLE.items():
        teams.set_member(SPACE, email, role)
    Workspace(store, settings=settings, principal=Principal("ann@x.io", SPACE, "admin")
              ).ensure_demo()
    tokens = {email: Workspace(store, settings=settings,
                               principal=Principal(email, SPACE, role)).create_token("tests")[1]
              for email, role in PEOPLE.items()}
    yield {"store": store, "settings": settings, "tokens": tokens,
           "env": clean_env(tmp_path / "home", **env), "home": tmp_path / "home"}
    store.dispose()


@pytest.fixture()
def server(team, tmp_path):
    """`python -m olympus mcp --transport http` on a free port, trusting the proxy header."""
    port = free_port()
    log = open(tmp_path / "mcp.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "olympus", "mcp", "--transport", "http",
                             "--port", str(port), "--trusted-header", HEADER], cwd=REPO,
                            env=team["env"], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        _wait(port, proc, tmp_path / "mcp.log")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _wait(port: int, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited: {log.read_text(errors='replace')[-2000:]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"MCP server not listening: {log.read_text(errors='replace')[-2000:]}")


def over_http(url: str, headers: dict, *steps: tuple[str, dict]) -> list:
    """Each (tool, arguments) through the SDK's streamable HTTP client with these headers."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    async def go():
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                return [await client.call_tool(name, args) for name, args in steps]

    return anyio.run(go)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def text(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_editor_token_runs_sql_over_http_and_viewer_token_is_refused(team, server):
    (ran,) = over_http(server, bearer(team["tokens"]["ed@x.io"]),
                       ("run_sql", {"connection": "Demo", "sql": "select count(*) n from loans"}))
    assert not ran.is_error, text(ran)
    assert ran.structured_content["columns"] == ["n"] and ran.structured_content["rows"][0][0] > 0
    listed, refused = over_http(server, bearer(team["tokens"]["vic@x.io"]),
                                ("list_connections", {}),
                                ("run_sql", {"connection": "Demo", "sql": "select 1"}))
    assert [c["name"] for c in listed.structured_content["connections"]] == ["Demo"]
    assert refused.is_error and "As viewer" in text(refused)
    log = Workspace(team["store"], settings=team["settings"],
                    principal=Principal("ann@x.io", SPACE, "admin")).query_log(limit=5)
    assert [(e.user, e.source, e.status) for e in log] == [("ed@x.io", "mcp", "ok")]


def test_no_token_a_wrong_token_and_a_revoked_token_get_401(team, server):
    ed = Workspace(team["store"], settings=team["settings"],
                   principal=Principal("ed@x.io", SPACE, "editor"))
    (mine,) = ed.access_tokens()
    ed.revoke_token(mine.id)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, bearer("oly_not-a-real-token"), bearer(team["tokens"]["ed@x.io"]),
                    {"Authorization": "Basic YW5uOng="}):
        answer = httpx.post(server, json=body, headers={**headers, "Accept":
                                                         "application/json, text/event-stream"})
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json()["error"]["title"] == "Not signed in"
        assert "Bearer" in answer.headers["www-authenticate"]


def test_removed_member_token_stops_working_and_role_changes_apply(team, server):
    teams = Teams(team["store"])
    teams.set_member(SPACE, "vic@x.io", "editor")  # promoted: the same token may now query
    (ran,) = over_http(server, bearer(team["tokens"]["vic@x.io"]),
                       ("run_sql", {"connection": "Demo", "sql": "select 1 as one"}))
    assert not ran.is_error and ran.structured_content["rows"] == [[1]]
    teams.remove_member(SPACE, "vic@x.io")
    answer = httpx.post(server, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                        headers=bearer(team["tokens"]["vic@x.io"]))
    assert answer.status_code == 401


def test_trusted_proxy_header_is_an_identity_and_unknown_people_are_refused(team, server):
    (ran,) = over_http(server, {HEADER: "ed@x.io"},
                       ("run_sql", {"connection": "Demo", "sql": "select 2 as two"}))
    assert not ran.is_error and ran.structured_content["rows"] == [[2]]
    (refused,) = over_http(server, {HEADER: "vic@x.io"},
                           ("run_sql", {"connection": "Demo", "sql": "select 2"}))
    assert refused.is_error and "As viewer" in text(refused)
    stranger = httpx.post(server, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={HEADER: "mallory@evil.io"})
    assert stranger.status_code == 401


def test_header_from_an_untrusted_address_is_ignored(team, tmp_path):
    """--trusted-proxy names the proxy; the same header from anyone else is not an identity."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "olympus", "mcp", "--transport", "http",
                             "--port", str(port), "--trusted-header", HEADER,
                             "--trusted-proxy", "10.9.9.9"], cwd=REPO, env=team["env"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, proc, tmp_path / "none.log")
        url = f"http://127.0.0.1:{port}/mcp"
        forged = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                            headers={HEADER: "ann@x.io"})
        assert forged.status_code == 401
        (listed,) = over_http(url, bearer(team["tokens"]["ann@x.io"]), ("list_connections", {}))
        assert not listed.is_error
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_stdio_serves_the_operator_or_the_member_named_by_user(team):
    def run(*flags: str, sql: str) -> object:
        params = StdioServerParameters(command=sys.executable,
                                       args=["-m", "olympus", *flags, "mcp"],
                                       env=team["env"], cwd=str(REPO))

        async def go():
            async with Client(params) as client:
                return await client.call_tool("run_sql", {"connection": "Demo", "sql": sql})

        return anyio.run(go)

    viewer = run("--user", "vic@x.io", sql="select 1")
    assert viewer.is_error and "As viewer" in text(viewer)
    editor = run("--user", "ed@x.io", sql="select 40 + 2 as answer")
    assert not editor.is_error and editor.structured_content["rows"] == [[42]]
    assert json.loads(text(editor))["rows"] == [[42]]


def test_proxy_header_defaults_to_the_one_streamlit_trusts(team, tmp_path):
    """Without --trusted-header the server trusts what .streamlit/config.toml maps to email."""
    folder = tmp_path / "deploy"
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "config.toml").write_text(
        '[server]\ntrustedUserHeaders = { "X-Auth-Request-Email" = "email" }\n')
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "olympus", "mcp", "--transport", "http",
                             "--port", str(port)], cwd=folder, env=team["env"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, proc, tmp_path / "none.log")
        url = f"http://127.0.0.1:{port}/mcp"
        (ran,) = over_http(url, {"X-Auth-Request-Email": "ed@x.io"},
                           ("run_sql", {"connection": "Demo", "sql": "select 3 as three"}))
        assert not ran.is_error and ran.structured_content["rows"] == [[3]]
        other = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers={HEADER: "ed@x.io"})  # not the configured header
        assert other.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_proxy_mode_without_a_trusted_header_refuses_to_start(team, tmp_path):
    done = subprocess.run([sys.executable, "-m", "olympus", "mcp", "--transport", "http",
                           "--port", str(free_port())], cwd=tmp_path, env=team["env"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "no trusted e-mail header" in done.stderr and "--trusted-header" in done.stderr
    assert "Traceback" not in done.stderr


def test_tokens_cli_creates_a_working_token_lists_and_revokes_it(team, tmp_path):
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "olympus", "--user", "ed@x.io", *args],
                              cwd=REPO, env=team["env"], capture_output=True, text=True,
                              timeout=120)

    made = cli("tokens", "create", "laptop")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    from olympus.ops.tokens import resolve

    assert resolve(team["store"], team["settings"], secret) == Principal("ed@x.io", SPACE,
                                                                         "editor")
    listed = cli("tokens", "list")
    assert "laptop" in listed.stdout and secret not in listed.stdout
    token_id = next(line.split()[0] for line in listed.stdout.splitlines() if "laptop" in line)
    assert cli("tokens", "revoke", token_id).returncode == 0
    assert "revoked" in cli("tokens", "list").stdout.split("laptop")[0].splitlines()[-1]
    refused = cli("tokens", "list", "--all")
    assert refused.returncode == 1 and "Not allowed" in refused.stderr
