"""The encrypted store against real SQLite files and a real PostgreSQL (pgserver)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from olympus import store_db as store_module
from olympus.catalog import Catalog
from olympus.connectors import TestResult as Result
from olympus.crypto import SecretKeyError, generate_key
from olympus.errors import AuthenticationFailed, ConfigError, UnsupportedConnector
from olympus.store import NotFound, Store
from tests.store_helpers import REPO, digest, file_bytes, make_settings, pg_sqlalchemy

PASSWORD = "Sup3r-Secret-Pa55word!"
PG_PARAMS = {"host": "db.example.com", "port": 5432, "database": "sales", "username": "ana",
             "password": PASSWORD}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    settings = make_settings(tmp_path, keys=(generate_key(),))
    url = settings.store_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = Store(url, settings=settings)
    yield opened
    opened.dispose()


@pytest.fixture()
def sqlite_store(tmp_path):
    settings = make_settings(tmp_path, keys=(generate_key(),))
    opened = Store.from_settings(settings)
    yield opened
    opened.dispose()


def test_round_trip(store):
    record = store.add("local", "Sales DB", "postgres", PG_PARAMS)
    assert record.type == "postgresql" and record.secret_fields_set == ("password",)
    assert record.params == {"host": "db.example.com", "port": 5432, "database": "sales",
                             "username": "ana", "sslmode": "prefer"}
    assert PASSWORD not in repr(record) and PASSWORD not in json.dumps(record.to_dict())
    assert record.last_test_status is None and record.expose_data_to_llm is False
    assert store.get("local", record.id) == store.get("local", "Sales DB") == record
    assert [r.name for r in store.list_connections("local")] == ["Sales DB"]
    assert store.connector("local", "Sales DB").params["password"] == PASSWORD

    store.record_test("local", record.id, Result(True, 12.5, "PostgreSQL 16.2", "sales"))
    store.touch_used("local", record.id)
    snapshot = {"tables": [{"schema": "public", "name": "t"}], "introspected_at":
                "2024-05-01T10:00:00+00:00"}
    store.save_schema("local", record.id, snapshot)
    got = store.get("local", record.id)
    assert got.last_test_status == "ok" and got.last_test["server_version"] == "PostgreSQL 16.2"
    assert got.last_used is not None and got.table_count == 1
    assert got.introspected_at.isoformat() == "2024-05-01T10:00:00+00:00"
    loaded = store.load_schema("local", record.id)
    assert loaded == Catalog.from_dict(snapshot) and loaded.table("public.t").kind == "table"
    assert loaded.to_dict()["tables"][0]["name"] == "t"

    store.log_query("local", record.id, question="how many?", sql="select 1", status="ok",
                    row_count=1, elapsed_ms=3.2)
    store.log_query("local", record.id, sql="delete from t", status="refused",
                    error="Statement refused")
    log = store.query_log("local")
    assert [(e.sql, e.status) for e in log] == [("delete from t", "refused"), ("select 1", "ok")]
    assert log[1].question == "how many?" and log[1].row_count == 1

    store.remove("local", "Sales DB")
    assert store.list_connections("local") == []


def test_update_keeps_blank_secret_and_resets_status(store):
    record = store.add("local", "a", "postgresql", PG_PARAMS)
    store.record_test("local", record.id, Result(True, 1.0))
    store.save_schema("local", record.id, {"tables": [], "introspected_at": None})
    updated = store.update("local", "a", name="b", params={"database": "other", "password": ""},
                           expose_data_to_llm=True)
    assert (updated.name, updated.params["database"], updated.expose_data_to_llm) == \
        ("b", "other", True)
    assert updated.last_test_status is None and updated.introspected_at is None
    assert store.connector("local", "b").params["password"] == PASSWORD
    store.update("local", "b", params={"password": "new-one"})
    assert store.connector("local", "b").params["password"] == "new-one"
    untouched = store.update("local", "b", params={"password": None})  # blank: nothing changes
    assert untouched.secret_fields_set == ("password",)
    with pytest.raises(ConfigError):
        store.update("local", "b", params={"port": "not a number"})
    with pytest.raises(ConfigError, match="would send the saved Password"):  # target field
        store.update("local", "b", params={"port": 6543})
    moved = store.update("local", "b", params={"port": 6543, "password": "typed-again"})
    assert moved.params["port"] == 6543
    assert store.get("local", "b").params["port"] == 6543


def test_update_clears_optional_fields_and_removes_secrets_on_request(store):
    params = {**PG_PARAMS, "url": "postgresql://ana:Url-Secret-442@db.example.com/sales"}
    record = store.add("local", "a", "postgresql", params)
    assert record.secret_fields_set == ("password", "url")
    store.record_test("local", record.id, Result(True, 1.0))
    # an explicit None removes an optional setting; a default comes back as the default
    cleared = store.update("local", "a", params={"username": None, "database": None})
    assert "username" not in cleared.params and cleared.params["database"] == "postgres"
    assert cleared.last_test_status is None  # a real change resets the test
    assert store.connector("local", "a").params["password"] == PASSWORD  # blank: kept
    # remove one saved secret, keep the other; the removal changes the encrypted blob
    removed = store.update("local", "a", params={"username": "ana"}, clear_secrets=("url",))
    assert removed.secret_fields_set == ("password",) and removed.params["username"] == "ana"
    live = store.connector("local", "a").params
    assert "url" not in live and live["password"] == PASSWORD
    # a blank secret next to a removal keeps the stored one; a new value beats a removal
    kept = store.update("local", "a", params={"password": ""}, clear_secrets=())
    assert kept.secret_fields_set == ("password",)
    store.update("local", "a", params={"password": "new-one"}, clear_secrets=("password",))
    assert store.connector("local", "a").params["password"] == "new-one"
    gone = store.update("local", "a", params={"password": None}, clear_secrets=("password",))
    assert gone.secret_fields_set == () and "password" not in store.connector("local", "a").params
    with pytest.raises(ConfigError, match="Not a secret"):
        store.update("local", "a", clear_secrets=("port",))
    assert store.get("local", "a").params["port"] == 5432


def test_names_unique_per_owner_and_clear_errors(store):
    store.add("local", "x", "duckdb", {"path": "/tmp/x.duckdb"})
    store.add("other", "x", "duckdb", {"path": "/tmp/x.duckdb"})  # same name, another owner: ok
    with pytest.raises(ConfigError, match="already exists"):
        store.add("local", " x ", "duckdb", {"path": "/tmp/y.duckdb"})
    store.add("local", "y", "sqlite", {"path": "/tmp/y.db"})
    with pytest.raises(ConfigError, match="already exists"):
        store.update("local", "y", name="x")
    with pytest.raises(NotFound, match="Existing connections: x, y"):
        store.get("local", "nope")
    with pytest.raises(UnsupportedConnector, match="Supported"):
        store.add("local", "z", "oracle", {})
    with pytest.raises(ConfigError, match="Missing required"):
        store.add("local", "z", "duckdb", {})
    with pytest.raises(ConfigError, match="Unknown setting"):
        store.add("local", "z", "duckdb", {"path": "p", "colour": "red"})
    assert [r.name for r in store.list_connections("local")] == ["x", "y"]


def test_every_read_and_write_is_scoped_by_owner(store):
    mine = store.add("alice", "shared-name", "postgresql", PG_PARAMS)
    store.save_schema("alice", mine.id, {"tables": [{"name": "secret_table"}]})
    store.log_query("alice", mine.id, sql="select 1", status="ok")
    mine = store.get("alice", mine.id)
    assert store.list_connections("bob") == [] and store.query_log("bob") == []
    for call in (lambda: store.get("bob", mine.id), lambda: store.connector("bob", mine.id),
                 lambda: store.update("bob", mine.id, name="hijack"),
                 lambda: store.remove("bob", mine.id),
                 lambda: store.record_test("bob", mine.id, Result(False, 1.0)),
                 lambda: store.touch_used("bob", mine.id),
                 lambda: store.save_schema("bob", mine.id, {"tables": []})):
        with pytest.raises(NotFound) as err:
            call()
        assert "shared-name" not in err.value.message  # bob never learns alice's names
    assert store.load_schema("bob", mine.id) is None
    assert store.get("alice", mine.id) == mine
    with pytest.raises(ConfigError):
        store.list_connections("")


def test_no_plaintext_secret_in_sqlite_file_or_wal(sqlite_store):
    db = sqlite_store.engine.url.database
    record = sqlite_store.add("local", "pg", "postgresql", PG_PARAMS)
    sqlite_store.update("local", record.id, params={"password": PASSWORD + "-2"})
    with sqlite_store.engine.connect():  # keep a connection open so the -wal file is on disk
        assert os.path.exists(db + "-wal")
        data = file_bytes(db)
        assert PASSWORD.encode() not in data and b"Sup3r" not in data
        assert b"db.example.com" in data  # the non-secret part is there: we looked in the right place
        for suffix in ("", "-wal", "-shm"):
            assert stat.S_IMODE(os.stat(db + suffix).st_mode) == 0o600
    sqlite_store.dispose()
    assert PASSWORD.encode() not in file_bytes(db)


def test_wrong_key_is_a_clear_error_and_changes_nothing(tmp_path):
    good = make_settings(tmp_path, keys=(generate_key(),))
    store = Store.from_settings(good)
    record = store.add("local", "pg", "postgresql", PG_PARAMS)
    store.add("local", "file", "duckdb", {"path": "/tmp/f.duckdb"})
    store.dispose()
    db = good.store_url.removeprefix("sqlite:///")
    before = digest(file_bytes(db))

    wrong = Store.from_settings(make_settings(tmp_path, keys=(generate_key(),)))
    assert [r.name for r in wrong.list_connections("local")] == ["file", "pg"]
    attempts = [lambda: wrong.connector("local", "pg"), wrong.rotate_keys, wrong.check_key,
                lambda: wrong.add("local", "new", "postgresql", PG_PARAMS),
                lambda: wrong.update("local", "pg", params={"password": "x"}),
                lambda: wrong.update("local", "pg", params={"port": 1})]
    for attempt in attempts:
        with pytest.raises(SecretKeyError) as err:
            attempt()
        assert "not the key they were saved with" in err.value.message
        assert "OLYMPUS_SECRET_KEY" in err.value.suggestion and "keys rotate" in err.value.suggestion
    wrong.dispose()
    assert digest(file_bytes(db)) == before
    assert not good.key_file.exists()

    again = Store.from_settings(good)
    assert again.connector("local", record.id).params["password"] == PASSWORD
    again.dispose()


def test_missing_key_never_generates_over_existing_secrets(tmp_path):
    local = make_settings(tmp_path)  # no OLYMPUS_SECRET_KEY: a key file is generated
    store = Store.from_settings(local)
    store.add("local", "pg", "postgresql", PG_PARAMS)
    store.dispose()
    assert stat.S_IMODE(local.key_file.stat().st_mode) == 0o600
    key_file = local.key_file.read_bytes()
    local.key_file.unlink()
    lost = Store.from_settings(local)
    with pytest.raises(SecretKeyError, match="no secret key is configured"):
        lost.connector("local", "pg")
    assert not local.key_file.exists()
    lost.dispose()
    local.key_file.write_bytes(key_file)
    restored = Store.from_settings(local)
    assert restored.connector("local", "pg").params["password"] == PASSWORD
    restored.dispose()


def test_rotation_with_old_and_new_keys(store, tmp_path):
    old, new = store.settings.secret_keys[0], generate_key()
    for owner, name in (("a", "one"), ("a", "two"), ("b", "three")):
        store.add(owner, name, "postgresql", {**PG_PARAMS, "password": f"{PASSWORD}-{name}"})
    store.add("a", "no-secret", "duckdb", {"path": "/tmp/x.duckdb"})
    url = store.engine.url.render_as_string(hide_password=False)

    both = Store(url, settings=make_settings(tmp_path, keys=(new, old)))
    assert both.connector("a", "one").params["password"] == f"{PASSWORD}-one"  # reads old tokens
    assert both.rotate_keys() == 3
    both.dispose()

    old_only = Store(url, settings=make_settings(tmp_path, keys=(old,)))
    with pytest.raises(SecretKeyError):
        old_only.connector("b", "three")
    old_only.dispose()
    new_only = Store(url, settings=make_settings(tmp_path, keys=(new,)))
    assert new_only.connector("b", "three").params["password"] == f"{PASSWORD}-three"
    assert new_only.connector("a", "two").params["password"] == f"{PASSWORD}-two"
    new_only.dispose()


def test_rotation_is_all_or_nothing(sqlite_store, tmp_path):
    old = sqlite_store.settings.secret_keys[0]
    sqlite_store.add("local", "one", "postgresql", PG_PARAMS)
    stray = generate_key()  # a row encrypted with a key nobody configured
    from olympus.crypto import Keyring

    with sqlite_store.engine.begin() as conn:
        conn.execute(store_module.connections.insert().values(
            id="stray", owner="local", name="stray", type="postgresql",
            params_json=json.dumps({"host": "h"}), secret_fields_json='["password"]',
            secrets_encrypted=Keyring([stray]).encrypt({"password": "x"}), is_active=True,
            expose_data_to_llm=False, created_at=sa.func.now(), updated_at=sa.func.now()))
    url = sqlite_store.settings.store_url
    rotating = Store(url, settings=make_settings(tmp_path, keys=(generate_key(), old)))
    with pytest.raises(SecretKeyError):
        rotating.rotate_keys()
    rotating.dispose()
    assert sqlite_store.connector("local", "one").params["password"] == PASSWORD  # still old key


def test_versioned_schema_migration_keeps_data(store, monkeypatch):
    record = store.add("local", "keep-me", "postgresql", PG_PARAMS)
    store.log_query("local", record.id, sql="select 1", status="ok")
    store.flush()  # the log is written behind; the upgrade below must find it
    url = store.engine.url.render_as_string(hide_password=False)

    latest = len(store_module.MIGRATIONS)  # the next migration the test adds is latest + 1

    def v2(conn):
        conn.execute(sa.text("ALTER TABLE connections ADD COLUMN space_note VARCHAR(50)"))
        conn.execute(sa.text("UPDATE connections SET space_note = 'migrated'"))

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, v2])
    upgraded = Store(url, settings=store.settings)
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() == \
            latest + 1
        assert conn.execute(sa.text("SELECT space_note FROM connections")).scalar() == "migrated"
    assert upgraded.get("local", "keep-me") == record
    assert upgraded.connector("local", "keep-me").params["password"] == PASSWORD
    assert len(upgraded.query_log("local")) == 1
    Store(url, settings=store.settings).dispose()  # already at v2: opening again is a no-op
    upgraded.dispose()

    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:latest])
    with pytest.raises(ConfigError, match=f"schema version {latest + 1}"):
        Store(url, settings=store.settings)


def test_v1_store_gains_owner_flags_and_owners_with_data_keep_no_demo(store):
    """A store from before owner_flags: migrated in place, data kept; owners who already used
    Olympus count as having had their first start."""
    record = store.add("local", "keep-me", "postgresql", PG_PARAMS)
    store.log_query("queries-only", None, sql="select 1", status="ok")
    store.flush()
    url = store.engine.url.render_as_string(hide_password=False)
    with store.engine.begin() as conn:  # back to version 1: no owner_flags table
        conn.execute(sa.text("DROP TABLE owner_flags"))
        conn.execute(sa.text("DELETE FROM schema_version"))
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) "
                             "VALUES (1, CURRENT_TIMESTAMP)"))
    upgraded = Store(url, settings=store.settings)
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() == \
            len(store_module.MIGRATIONS)
    assert upgraded.get("local", "keep-me") == record
    assert upgraded.connector("local", "keep-me").params["password"] == PASSWORD
    assert upgraded.has_flag("local", "demo_offered")
    assert upgraded.has_flag("queries-only", "demo_offered")
    assert not upgraded.has_flag("newcomer", "demo_offered")
    assert upgraded.set_flag("newcomer", "demo_offered") is True
    assert upgraded.set_flag("newcomer", "demo_offered") is False  # once
    upgraded.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_writers_lose_nothing(backend, tmp_path, request):
    workers, ops = 4, 50
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLYMPUS_")}
    env["OLYMPUS_HOME"] = str(home)  # SQLite: no key set, so the workers also race to create it
    if backend == "sqlite":
        url = f"sqlite:///{home / 'olympus.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        env["OLYMPUS_SECRET_KEY"] = generate_key()
    procs = [subprocess.Popen([sys.executable, str(REPO / "tests" / "store_worker.py"), url,
                               str(w), str(ops)], env=env, stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors

    settings = make_settings(home, keys=tuple(filter(None, [env.get("OLYMPUS_SECRET_KEY")])))
    store = Store(url, settings=settings)
    records = store.list_connections("team")
    assert len(records) == workers * ops
    assert all(r.params["port"] == 6000 + int(r.name.split("-c")[1]) for r in records)
    assert len(store.query_log("team", limit=10_000)) == workers * ops
    assert store.connector("team", "w3-c49").params["password"] == "secret-3-49"
    assert store.connector("team", "w0-c0").params["password"] == "secret-0-0"
    store.dispose()


def test_killed_writer_leaves_a_consistent_store(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLYMPUS_")}
    env.update(OLYMPUS_HOME=str(home), OLYMPUS_SECRET_KEY=generate_key())
    url = f"sqlite:///{home / 'olympus.db'}"
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "store_killer.py"), url],
                            env=env, stdout=subprocess.PIPE, text=True)
    committed = []
    deadline = time.monotonic() + 120
    while len(committed) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, "the writer died on its own"
        committed.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)  # mid-write: it never stops between transactions
    proc.wait(timeout=30)
    committed += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    assert len(committed) >= 40

    raw = sqlite3.connect(str(home / "olympus.db"))
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    store = Store(url, settings=make_settings(home, keys=(env["OLYMPUS_SECRET_KEY"],)))
    ids = {r.id for r in store.list_connections("local")}
    assert set(committed) <= ids and len(ids) - len(committed) <= 1
    for connection_id in committed:
        assert store.load_schema("local", connection_id).tables[199].name == "t199"
    index = len(committed) - 1
    assert store.connector("local", committed[-1]).params["password"] == f"pw-{index}"
    store.add("local", "after-crash", "duckdb", {"path": "/tmp/a.duckdb"})  # still writable
    store.dispose()


def test_failed_test_result_is_stored_without_secrets(store):
    record = store.add("local", "pg", "postgresql", PG_PARAMS)
    error = AuthenticationFailed("Authentication failed. Check credentials.")
    store.record_test("local", record.id, Result(False, 40.0, error=error))
    got = store.get("local", "pg")
    assert got.last_test_status == "failed"
    assert got.last_test["error"]["title"] == "Authentication failed"
    assert PASSWORD not in json.dumps(got.last_test)


def test_a_lost_race_for_a_name_is_still_a_clear_error(store, monkeypatch):
    store.add("local", "dup", "duckdb", {"path": "/tmp/a.duckdb"})
    monkeypatch.setattr(Store, "_check_free", lambda *args: None)  # as if another writer won
    with pytest.raises(ConfigError, match="'dup' already exists"):
        store.add("local", "dup", "duckdb", {"path": "/tmp/b.duckdb"})
    assert [r.params["path"] for r in store.list_connections("local")] == ["/tmp/a.duckdb"]
