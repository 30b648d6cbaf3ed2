"""The Workspace facade on real PostgreSQL and DuckDB: test-before-save, caches, log, demo."""

from __future__ import annotations

import logging

import psycopg
import pytest

from olympus.crypto import generate_key
from olympus.errors import ConfigError, OlympusError, RateLimited, UnsafeSQL
from olympus.runner import RateLimiter
from olympus.store import NotFound, Store
from olympus.workspace import Workspace
from tests.services import free_port
from tests.store_helpers import make_settings, with_password

PASSWORD = "Wk-Secret-7731-pass"


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path, keys=(generate_key(),))


@pytest.fixture()
def store(settings):
    opened = Store.from_settings(settings)
    yield opened
    opened.dispose()


@pytest.fixture()
def ws(store, settings):
    workspace = Workspace(store, "alice", settings=settings)
    yield workspace
    workspace.close()


@pytest.fixture()
def pg_db(pg_url):
    """pg_url with a small commented table and a canary to prove nothing is ever written."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)")
        conn.execute("COMMENT ON TABLE customers IS 'People who buy things'")
        conn.execute("INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 25) g")
    return pg_url


def refused_params() -> dict:
    return {"host": "127.0.0.1", "port": free_port(), "username": "u", "password": PASSWORD}


def test_add_tests_first_and_saves_only_working_connections(ws, pg_db):
    record, result = ws.add_connection("bad", "postgresql", refused_params())
    assert record is None and not result.ok and result.error.title == "Connection refused"
    assert ws.connections() == []
    record, result = ws.add_connection("bad", "postgresql", refused_params(), save_untested=True)
    assert record.last_test_status == "failed" and not result.ok
    record, result = ws.add_connection("pg", "postgresql", {"url": with_password(pg_db, PASSWORD)})
    assert result.ok and result.server_version.startswith("PostgreSQL")
    assert record.last_test_status == "ok" and record.secret_fields_set == ("url",)
    with pytest.raises(ConfigError, match="already exists"):
        ws.add_connection("pg", "duckdb", {"path": "/nowhere.duckdb"}, test_first=False)
    with pytest.raises(ConfigError, match="Missing required"):
        ws.add_connection("x", "sqlite", {})
    assert [r.name for r in ws.connections()] == ["bad", "pg"]
    bad = ws.test_connection("bad")
    assert not bad.ok and ws.get("bad").last_test_status == "failed"


def test_schema_is_cached_in_memory_and_in_the_store(ws, pg_db, store, settings):
    ws.add_connection("pg", "postgresql", {"url": pg_db})
    calls = []
    snapshot = ws.schema("pg", progress=lambda m, f: calls.append(m))
    table = snapshot.table("customers")
    assert table.description == "People who buy things" and table.primary_key == ("id",)
    assert calls and ws.get("pg").table_count == len(snapshot.tables)
    calls.clear()
    assert ws.schema("pg", progress=lambda m, f: calls.append(m)) == snapshot and calls == []
    fresh = Workspace(store, "alice", settings=settings)  # a new process: read from the store
    assert fresh.schema("pg", progress=lambda m, f: calls.append(m)) == snapshot and calls == []
    assert fresh.schema("pg", refresh=True, progress=lambda m, f: calls.append(m)) != snapshot
    assert calls
    fresh.close()


def test_run_sql_logs_every_attempt_and_touches_last_used(ws, pg_db):
    ws.add_connection("pg", "postgresql", {"url": pg_db})
    result = ws.run_sql("pg", "select id, name from customers order by id", limit=10,
                        question="first ten?")
    data = result.to_dict()
    assert data["rows"][0] == [1, "c1"] and data["row_count"] == 10 and data["truncated"]
    with pytest.raises(UnsafeSQL):
        ws.run_sql("pg", "delete from customers")
    with pytest.raises(Exception) as err:
        ws.run_sql("pg", "select nope from customers")
    assert err.value.title == "SQL error"
    log = ws.query_log()
    assert [e.status for e in log] == ["error", "refused", "ok"]
    assert log[2].question == "first ten?" and log[2].row_count == 10
    assert ws.get("pg").last_used is not None
    with psycopg.connect(pg_db) as conn:
        assert conn.execute("select count(*) from customers").fetchone() == (25,)


def test_rate_limit_is_per_owner_and_connection(store, settings, pg_db):
    limiter = RateLimiter(3, 60.0)
    alice = Workspace(store, "alice", settings=settings, limiter=limiter)
    bob = Workspace(store, "bob", settings=settings, limiter=limiter)
    for workspace in (alice, bob):
        workspace.add_connection("pg", "postgresql", {"url": pg_db})
    for _ in range(3):
        alice.run_sql("pg", "select 1")
    with pytest.raises(RateLimited):
        alice.run_sql("pg", "select 1")
    assert bob.run_sql("pg", "select 1").row_count == 1  # bob's budget is his own
    alice.close(), bob.close()


def test_owners_never_see_each_other(store, settings, pg_db):
    alice = Workspace(store, "alice", settings=settings)
    bob = Workspace(store, "bob", settings=settings)
    alice.add_connection("pg", "postgresql", {"url": pg_db})
    alice.schema("pg")
    assert bob.connections() == [] and bob.is_first_run() and not alice.is_first_run()
    for call in (lambda: bob.run_sql("pg", "select 1"), lambda: bob.schema("pg"),
                 lambda: bob.connector(alice.get("pg").id), lambda: bob.remove_connection("pg")):
        with pytest.raises(NotFound):
            call()
    assert bob.query_log() == []
    alice.close(), bob.close()


def test_edit_and_remove_drop_cached_connectors(ws, pg_db):
    ws.add_connection("pg", "postgresql", {"url": pg_db})
    first = ws.connector("pg")
    assert ws.connector("pg") is first
    first.test()
    assert first._engine is not None
    ws.update_connection("pg", params={"database": "other_db"})  # not a target field
    assert first._engine is None  # disposed
    second = ws.connector("pg")
    assert second is not first and second.params["database"] == "other_db"
    assert second.params["url"] == pg_db  # blank secret kept
    ws.remove_connection("pg")
    with pytest.raises(NotFound):
        ws.connector("pg")


def test_connector_factory_gets_owner_id_and_fingerprint(store, settings, pg_db):
    calls, dropped, cache = [], [], {}

    def factory(owner, connection_id, fingerprint, build):
        calls.append((owner, connection_id, fingerprint))
        return cache.setdefault((owner, connection_id, fingerprint), build())

    factory.invalidate = lambda owner, connection_id: dropped.append((owner, connection_id))
    ws = Workspace(store, "alice", settings=settings, connector_factory=factory)
    record, _ = ws.add_connection("pg", "postgresql", {"url": pg_db})
    assert ws.connector("pg") is ws.connector("pg")
    assert calls[0][:2] == ("alice", record.id) and len(set(calls)) == 1
    ws.update_connection("pg", params={"database": "other_db"})  # not a target field
    ws.connector("pg")
    assert len(set(calls)) == 2 and dropped == [("alice", record.id)]
    ws.remove_connection("pg")
    assert dropped == [("alice", record.id)] * 2


def test_demo_is_idempotent_and_reset_touches_nothing_else(ws, tmp_path):
    other, _ = ws.add_connection("mine", "duckdb", {"path": str(tmp_path / "x.duckdb")},
                                 test_first=False)
    demo = ws.ensure_demo()
    assert ws.demo_built and demo.name == "Demo" and demo.last_test_status == "ok"
    assert ws.run_sql("Demo", "select count(*) from loans").rows()[0][0] > 1000
    again = ws.ensure_demo()
    assert not ws.demo_built and again.id == demo.id
    ws.schema("Demo")
    reset = ws.ensure_demo(reset=True)
    assert ws.demo_built and reset.id == demo.id and reset.introspected_at is None
    assert ws.get("mine") == other
    assert ws.run_sql("Demo", "select count(*) from payments").rows()[0][0] > 100_000


def test_demo_name_taken_by_a_user_connection_is_left_alone(ws, tmp_path):
    mine, _ = ws.add_connection("Demo", "sqlite", {"path": str(tmp_path / "a.db")},
                                test_first=False)
    with pytest.raises(ConfigError, match="not the demo"):
        ws.ensure_demo()
    assert ws.get("Demo") == mine and not ws.settings.demo_path.exists()
    assert not ws.is_demo(mine)


def test_demo_is_known_by_its_stored_mark_not_its_name(ws, store, settings, tmp_path):
    demo = ws.ensure_demo()
    assert ws.is_demo(demo)
    ws.update_connection("Demo", new_name="Lending")
    renamed = ws.get("Lending")
    mine, _ = ws.add_connection("Demo", "duckdb", {"path": str(tmp_path / "mine.duckdb")},
                                test_first=False)
    assert ws.is_demo(renamed) and not ws.is_demo(mine)
    assert Workspace(store, ws.owner, settings=settings).is_demo(renamed)  # stored, not in memory
    assert ws.ensure_demo().id == demo.id  # the renamed demo, not a second one
    assert sorted(r.name for r in ws.connections()) == ["Demo", "Lending"]
    assert not Workspace(store, "someone-else", settings=settings).is_demo(renamed)


def test_an_unmarked_demo_from_an_older_store_is_adopted(ws, tmp_path):
    path = str(ws.settings.demo_path)
    old, _ = ws.add_connection("Demo", "duckdb", {"path": path}, test_first=False)
    assert not ws.is_demo(old)  # registered before demos carried a mark
    assert ws.ensure_demo().id == old.id and ws.is_demo(old)
    assert [r.name for r in ws.connections()] == ["Demo"]


def test_no_secret_in_any_log_output(store, settings, pg_db, caplog, capfd):
    """Add, test, edit and rotate with everything logged at DEBUG (SQL echo included)."""
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        ws = Workspace(store, "alice", settings=settings)
        url = with_password(pg_db, PASSWORD)
        ws.add_connection("pg", "postgresql", {"url": url})
        ws.add_connection("refused", "postgresql", refused_params(), save_untested=True)
        ws.test_connection("pg"), ws.test_connection("refused")
        ws.update_connection("refused", params={"password": PASSWORD + "-new"})
        ws.update_connection("pg", params={"url": ""})
        ws.run_sql("pg", "select count(*) from customers")
        ws.schema("pg")
        rotated = Store.from_settings(make_settings(settings.home,
                                                    keys=(generate_key(), *settings.secret_keys)))
        assert rotated.rotate_keys() == 2
        rotated.dispose(), ws.close()
    finally:
        for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    out, err = capfd.readouterr()
    assert any(r.name.startswith("sqlalchemy") for r in caplog.records)  # we did capture SQL
    everything = caplog.text + out + err + "".join(str(r.args) for r in caplog.records)
    assert PASSWORD not in everything and PASSWORD[3:15] not in everything


def test_test_params_before_saving_and_on_edit_with_blank_secret(ws, pg_db):
    assert ws.test_params("postgresql", {"url": pg_db}).ok
    assert ws.connections() == []  # testing saves nothing
    ws.add_connection("pg", "postgresql", {"url": pg_db})
    assert ws.test_params("postgresql", {"url": "", "database": "x"}, existing="pg").ok
    down = ws.test_params("postgresql", {"url": f"postgresql://u@127.0.0.1:{free_port()}/x"},
                          existing="pg")
    assert not down.ok and down.error.title == "Connection refused"


@pytest.mark.parametrize("type_", ["duckdb", "sqlite"])
def test_file_paths_typed_relative_or_with_tilde_are_stored_absolute(ws, tmp_path, monkeypatch,
                                                                     type_):
    """The UI sends what was typed; a path relative to today's directory must not be stored."""
    from olympus.connectors import connector_class

    work, home = tmp_path / "work", tmp_path / "user-home"
    work.mkdir()
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    cls = connector_class(type_)
    assert cls.validate({"path": "data/x.db"})["path"] == str(work / "data" / "x.db")
    assert cls.validate({"path": "~/y.db"})["path"] == str(home / "y.db")
    record, _ = ws.add_connection("files", type_, {"path": "shop.db"}, test_first=False)
    assert record.params["path"] == str(work / "shop.db")
    edited = ws.update_connection("files", params={"path": "../other.db"})
    assert edited.params["path"] == str(tmp_path / "other.db")


def _shop(tmp_path):
    import duckdb

    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE items AS SELECT range AS id FROM range(7)")
    con.close()
    return path


def test_a_pool_closed_mid_query_by_another_session_is_retried_once(store, settings, tmp_path):
    """Another session's release disposes the shared DuckDB connector after this query got its
    native connection: the query fails with "Connection already closed" and is run once more."""
    from olympus.connectors.duckdb import DuckDB

    handed: list = []

    def factory(owner, connection_id, fingerprint, build):
        handed.append(build())
        return handed[-1]

    ws = Workspace(store, "alice", settings=settings, connector_factory=factory)
    ws.add_connection("shop", "duckdb", {"path": str(_shop(tmp_path))})
    real_workers = DuckDB.workers  # queries lease a worker process (olympus.connectors.worker)
    raced, calls = [], []

    def workers_then_released(self):
        workers = real_workers(self)
        calls.append(self)
        # prepare() starts a worker first; the query's own lease is the second call: released
        # between workers() and cursor(), on the first query only
        if len(calls) == 2 and not raced:
            raced.append(self)
            self.dispose()
        return workers

    try:
        DuckDB.workers = workers_then_released
        result = ws.run_sql("shop", "SELECT count(*) AS n FROM items")
    finally:
        DuckDB.workers = real_workers
    assert result.rows() == [[7]]
    assert raced == [handed[-2]] and handed[-1] is not raced[0]  # a fresh connector answered
    assert [e.status for e in ws.query_log()] == ["ok"]  # one attempt logged, not a failure
    # without the retry the same race is a "Connection already closed" error
    with pytest.raises(Exception, match="(?i)already closed"):
        conn = handed[-1].native()
        handed[-1].dispose()
        conn.cursor()
    for connector in handed:
        connector.dispose()


def test_a_failure_that_keeps_failing_is_not_retried_forever(store, settings, tmp_path):
    from olympus.workspace import closed_under_us

    assert closed_under_us(RuntimeError("Connection Error: Connection already closed!"))
    assert closed_under_us(OlympusError("x", detail="ConnectionException: Connection already "
                                                    "closed!"))
    assert not closed_under_us(RuntimeError("Binder Error: column closed not found"))
    calls = []

    def closed(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Connection already closed")

    def factory(owner, connection_id, fingerprint, build):
        connector = build()
        connector.fetch = closed
        return connector

    ws = Workspace(store, "alice", settings=settings, connector_factory=factory)
    ws.add_connection("shop", "duckdb", {"path": str(_shop(tmp_path))})
    with pytest.raises(OlympusError):
        ws.run_sql("shop", "SELECT 1")
    assert len(calls) == 2 and [e.status for e in ws.query_log()] == ["error"]


def test_run_sql_redacts_connector_secrets_from_unmapped_errors(store, settings, tmp_path):
    """A driver error that isn't an OlympusError and echoes a secret never shows the secret."""
    from olympus.connectors.base import Field
    from olympus.connectors.duckdb import DuckDB

    class KeyedDuckDB(DuckDB):
        fields = (*DuckDB.fields, Field("token", "Token", type="password", secret=True))

        def fetch(self, sql, **kw):
            raise RuntimeError(f"driver said: bad token {self.params['token']}")

    ws = Workspace(store, "alice", settings=settings)
    ws.add_connection("shop", "duckdb", {"path": str(_shop(tmp_path))})
    connector = KeyedDuckDB({"path": str(tmp_path / "shop.duckdb"),
                             "token": "tok-Very-Secret-991"})
    connector.isolated = False  # a class local to this test can't be rebuilt in a worker
    ws.connector = lambda name: connector
    with pytest.raises(OlympusError) as caught:
        ws.run_sql("shop", "SELECT 1")
    shown = f"{caught.value.message} {caught.value.detail} {ws.query_log()[0].error}"
    assert "bad token ***" in shown and "tok-Very-Secret-991" not in shown


def test_demo_is_offered_on_the_first_start_only(store, settings):
    ws = Workspace(store, "carol", settings=settings)
    assert ws.is_first_run()
    demo = ws.offer_demo()
    assert demo is not None and demo.name == "Demo" and not ws.is_first_run()
    ws.remove_connection("Demo")
    assert ws.connections() == [] and not ws.is_first_run()
    assert ws.offer_demo() is None and ws.connections() == []  # deleted stays deleted
    again = ws.ensure_demo()  # `python -m olympus demo`: on demand, any time
    assert again.name == "Demo" and [r.name for r in ws.connections()] == ["Demo"]
    ws.close()
    dave = Workspace(store, "dave", settings=settings)  # started without the demo (e.g. CLI)
    dave.add_connection("mine", "sqlite", {"path": str(settings.home / "a.db")},
                        test_first=False)
    assert dave.offer_demo() is None
    dave.remove_connection("mine")
    assert dave.offer_demo() is None and dave.connections() == []
