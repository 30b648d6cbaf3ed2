"""Past one machine: two `streamlit run app.py` replicas (two ports, two homes) over one real
PostgreSQL store with the same key behave as one: a connection added elsewhere appears on the
other replica's next rerun, and a per-connection limit of N a minute admits N in total across
queries sent through both servers' Ask pages (counted in the store, not per process)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid

import duckdb
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from olympus.crypto import generate_key
from tests.e2e.conftest import _stop
from tests.e2e.test_app_browser import go, wait_idle
from tests.services import ROOT, free_port, unavailable, wait_for_http

pytestmark = [pytest.mark.browser]

LIMIT = 4  # per connection and minute, for both replicas together


@pytest.fixture(scope="module")
def cluster(pg_server_url, tmp_path_factory):
    """One PostgreSQL store database, a shop connection added by the CLI, two app replicas."""
    name = f"replicas_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store_url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    data = tmp_path_factory.mktemp("replica-data")
    for db in ("shop", "extra"):
        with duckdb.connect(str(data / f"{db}.duckdb")) as con:
            con.execute("create table orders as select range as id from range(12)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OLYMPUS_", "OPENAI_")) or k == "OLYMPUS_DATA_DIR"}
    env.update(OLYMPUS_STORE_URL=store_url, OLYMPUS_SECRET_KEY=generate_key(), OLYMPUS_AUTH="none",
               OLYMPUS_RATE_LIMIT=str(LIMIT), OLYMPUS_USER_RATE_LIMIT="1000",
               PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    olympus(env, tmp_path_factory.mktemp("cli-home"), "connections", "add", "shop", "--type",
            "duckdb", "--param", f"path={data / 'shop.duckdb'}")
    procs = [_serve(env, tmp_path_factory.mktemp(f"replica-{x}")) for x in "ab"]
    try:
        urls = [_ready(*p) for p in procs]
    except Exception as exc:
        for proc, _, _ in procs:
            _stop(proc)
        unavailable("two streamlit replicas", repr(exc))
    yield {"urls": urls, "env": env, "data": data, "home": tmp_path_factory.mktemp("cli-2")}
    for proc, _, _ in procs:
        _stop(proc)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def olympus(env: dict, home, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "olympus", *args], cwd=ROOT,
                          env={**env, "OLYMPUS_HOME": str(home)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _serve(env: dict, home):
    port, log = free_port(), home / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "OLYMPUS_HOME": str(home)},
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return proc, port, log


def _ready(proc, port: int, log) -> str:
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=60, proc=proc)
    except Exception as exc:
        raise RuntimeError(f"{exc}; log: {log.read_text(errors='replace')[-2000:]}") from exc
    return f"http://127.0.0.1:{port}"


def open_page(browser, url: str, label: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    go(page, label)
    return context, page


def send(page, sql: str, entries: int):
    """Run SQL on the Ask page; this session's `entries`-th answer."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(sql)
    box.press("Enter")
    messages = page.locator('[data-testid="stChatMessage"]')
    expect(messages).to_have_count(2 * entries)
    wait_idle(page)
    return messages.nth(2 * entries - 1)


def _fresh_window(need_s: float = 30.0) -> None:
    """Limits count in fixed one-minute windows: start with enough of this minute left."""
    left = 60 - time.time() % 60
    if left < need_s:
        time.sleep(left + 0.5)


def test_two_replicas_share_changes_and_one_limit(browser, cluster, artifacts_dir):
    expect.set_options(timeout=30_000)
    a_url, b_url = cluster["urls"]
    (ctx_a, a), (ctx_b, b) = open_page(browser, a_url, "Ask"), open_page(browser, b_url, "Ask")
    try:
        _fresh_window()
        started = time.time() // 60
        answers = [send(a, "select 1 as one", 1), send(b, "select 2 as two", 1),
                   send(a, "select 3 as three", 2), send(b, "select 4 as four", 2)]
        for answer in answers:  # N admitted, through both servers
            expect(answer).to_contain_text(re.compile(r"1 row · 1 column"))
        for page, entries in ((a, 3), (b, 3)):  # the N+1th, on either server, is refused
            refused = send(page, "select 5 as five", entries)
            expect(refused).to_contain_text("Too many queries")
            expect(refused).to_contain_text(f"This connection ran {LIMIT} queries this minute")
            expect(refused).to_contain_text(re.compile(r"Try again in \d+ s"))
        assert time.time() // 60 == started, "crossed a minute boundary; the count restarted"
        page_shot = artifacts_dir / "e2e-replicas-limit.png"
        b.screenshot(path=str(page_shot))

        go(b, "Connections")  # B, before the change
        main_b = b.get_by_test_id("stMain")
        expect(main_b).to_contain_text("shop")
        expect(main_b).not_to_contain_text("extra")
        olympus(cluster["env"], cluster["home"], "connections", "add", "extra", "--type",
                "duckdb", "--param", f"path={cluster['data'] / 'extra.duckdb'}")
        go(a, "Connections")  # A's next run sees it ...
        expect(a.get_by_test_id("stMain")).to_contain_text("extra")
        go(b, "Schema")
        go(b, "Connections")  # ... and so does B's next rerun
        expect(main_b).to_contain_text("extra")
    finally:
        ctx_a.close(), ctx_b.close()
    trail = json.loads(olympus(cluster["env"], cluster["home"], "audit", "--action", "query",
                               "--json").stdout)
    got = sorted((r["status"], r["sql"]) for r in trail)
    assert got == [("ok", "select 1 as one"), ("ok", "select 2 as two"),
                   ("ok", "select 3 as three"), ("ok", "select 4 as four"),
                   ("refused", "select 5 as five"), ("refused", "select 5 as five")]
