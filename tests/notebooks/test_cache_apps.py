"""Two `streamlit run app.py` processes over one store and one real Redis
(OLYMPUS_CACHE_URL) share the result cache: a query answered on one server is answered
'from cache' on the other, in the browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import pytest
from playwright.sync_api import expect

from olympus.crypto import generate_key
from tests.e2e.conftest import _stop
from tests.e2e.test_replicas import _ready, _serve, open_page, send
from tests.services import ROOT, unavailable

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def apps(redis_url, tmp_path_factory):
    """One SQLite store (shared file, one key), a shop connection added by the CLI, two
    app servers with their own homes and the same Redis cache."""
    data = tmp_path_factory.mktemp("cache-apps")
    with duckdb.connect(str(data / "shop.duckdb")) as con:
        con.execute("create table orders as select range as id, range * 3 as amount "
                    "from range(40)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OLYMPUS_", "OPENAI_")) or k == "OLYMPUS_DATA_DIR"}
    env.update(OLYMPUS_STORE_URL=f"sqlite:///{data / 'store.db'}",
               OLYMPUS_SECRET_KEY=generate_key(), OLYMPUS_AUTH="none",
               OLYMPUS_CACHE_URL=redis_url, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    added = subprocess.run([sys.executable, "-m", "olympus", "connections", "add", "shop",
                            "--type", "duckdb", "--param", f"path={data / 'shop.duckdb'}"],
                           cwd=ROOT, env={**env, "OLYMPUS_HOME": str(data / "cli")},
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    procs = [_serve(env, tmp_path_factory.mktemp(f"cache-app-{x}")) for x in "ab"]
    try:
        urls = [_ready(*p) for p in procs]
    except Exception as exc:
        for proc, _, _ in procs:
            _stop(proc)
        unavailable("two streamlit app servers", repr(exc))
    yield urls
    for proc, _, _ in procs:
        _stop(proc)


def test_two_app_processes_share_one_redis_cache(browser, apps, tmp_path):
    expect.set_options(timeout=30_000)
    sql = f"select sum(amount) as total, '{tmp_path.name}' as run from orders"  # new each run
    (ctx_a, a), (ctx_b, b) = open_page(browser, apps[0], "Ask"), open_page(browser, apps[1], "Ask")
    try:
        first = send(a, sql, 1)
        expect(first).to_contain_text(re.compile(r"1 row · 2 columns"))
        expect(first).to_contain_text(re.compile(r"2,?340"))
        expect(first).not_to_contain_text("from cache")
        second = send(b, f"SELECT SUM(amount) AS total, '{tmp_path.name}' AS run\n"
                         "FROM orders", 1)  # the same query, spelled otherwise
        expect(second).to_contain_text("from cache · just now")
        expect(second).to_contain_text(re.compile(r"2,?340"))
        expect(second.get_by_role("button", name="Refresh")).to_be_visible()
    finally:
        ctx_a.close(), ctx_b.close()
