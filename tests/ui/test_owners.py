"""Two owners never see each other's connections, pools or cached schema (streamlit#7709/#14077)."""

from __future__ import annotations

import duckdb
import pytest

from olympus.config import Settings
from olympus.connectors import create_connector
from olympus.store import NotFound, Store
from olympus.ui import resources
from olympus.workspace import Workspace
from tests.ui.helpers import button, fill_pg_form, no_traceback, shown


@pytest.fixture()
def duck_file(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR)")
    con.execute("INSERT INTO items VALUES (1, 'pen'), (2, 'ink')")
    con.close()
    return str(path)


def duck(path: str):
    return create_connector("duckdb", {"path": path})


def test_pools_are_keyed_by_owner_and_reused_within_one(duck_file):
    factory = resources.CachedConnectors()
    built = []

    def build():
        built.append(duck(duck_file))
        return built[-1]

    a1 = factory("alice", "conn-1", "fp", build)
    a2 = factory("alice", "conn-1", "fp", build)
    b1 = factory("bob", "conn-1", "fp", build)  # same id and fingerprint, other owner
    assert a1 is a2 and a1 is not b1 and len(built) == 2
    factory.invalidate("alice", "conn-1")
    factory.invalidate("bob", "conn-1")


def test_new_fingerprint_and_invalidate_dispose_the_old_pool(duck_file):
    factory = resources.CachedConnectors()
    old = factory("carol", "conn-2", "fp-old", lambda: duck(duck_file))
    assert old.test().ok and old._native is not None  # a live DuckDB handle
    new = factory("carol", "conn-2", "fp-new", lambda: duck(duck_file))
    assert new is not old and old._native is None  # edited parameters released the old pool
    assert new.test().ok
    factory.invalidate("carol", "conn-2")  # delete
    assert new._native is None
    again = factory("carol", "conn-2", "fp-new", lambda: duck(duck_file))
    assert again is not new


def test_cached_schema_is_never_served_to_another_owner(tmp_path, duck_file):
    settings = Settings.from_env({"OLYMPUS_HOME": str(tmp_path / "home")})
    store = Store.from_settings(settings)
    alice = Workspace(store, "alice", settings=settings, connector_factory=resources.CONNECTORS)
    bob = Workspace(store, "bob", settings=settings, connector_factory=resources.CONNECTORS)
    record, _ = alice.add_connection("Shop", "duckdb", {"path": duck_file})
    first = resources.snapshot(alice, record)  # introspects, stores introspected_at
    record = alice.get("Shop")
    cached = resources.snapshot(alice, record)
    assert [t.name for t in cached.tables] == ["items"] == [t.name for t in first.tables]
    # Bob asks for the very same cache key parts except the owner: a miss, and his own
    # Workspace refuses Alice's connection id.
    with pytest.raises(NotFound):
        resources._snapshot("bob", record.id, resources._stamp(record), bob)
    with pytest.raises(NotFound):
        bob.run_sql(record.id, "SELECT 1")
    assert bob.connections() == []
    alice.remove_connection("Shop")
    store.dispose()


def test_two_owners_in_the_app_see_only_their_own(app, sales_db, monkeypatch):
    monkeypatch.setenv("OLYMPUS_OWNER", "alice")
    at = app("pages/1_Connections.py")
    at.selectbox(key="add_conn:type").set_value("postgresql").run()
    fill_pg_form(at, sales_db, name="Sales")
    button(at, "Save connection").click().run()
    assert "Saved Sales" in shown(at)
    alice_ask = app("pages/3_Ask.py")
    alice_ask.chat_input(key="ask:prompt").set_value("SELECT count(*) AS n FROM orders").run()
    assert alice_ask.metric[0].value == "5"
    app("pages/2_Schema.py")  # alice's schema is now in the st.cache_data cache

    monkeypatch.setenv("OLYMPUS_OWNER", "bob")
    for page in ("pages/1_Connections.py", "pages/2_Schema.py", "pages/3_Ask.py"):
        bob = app(page)
        no_traceback(bob)
        text = shown(bob)
        assert "Sales" not in text and "orders" not in text, page
        assert "No connections yet" in text, page
    bob = app("pages/1_Connections.py")
    bob.selectbox(key="add_conn:type").set_value("duckdb").run()
    bob.text_input(key="add_conn:name").input("Sales")  # same name, other owner: allowed
    bob.text_input(key="add_conn:duckdb:path").input("/nonexistent/bob.duckdb")
    bob.checkbox(key="add_conn:untested").check()
    button(bob, "Save connection").click().run()
    no_traceback(bob)
    bob_schema = app("pages/2_Schema.py")
    no_traceback(bob_schema)
    assert "orders" not in shown(bob_schema)  # Alice's cached snapshot is not Bob's
    assert "Connection failed" in shown(bob_schema) or "could not be opened" in shown(bob_schema)

    monkeypatch.setenv("OLYMPUS_OWNER", "alice")
    mine = app("pages/1_Connections.py")
    assert "PostgreSQL" in shown(mine) and "DuckDB" not in shown(mine)
