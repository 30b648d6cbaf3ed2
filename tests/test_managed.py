"""Connections declared in .streamlit/secrets.toml: listed for their space, usable, never
editable, and their secrets never reach the store."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy.engine import make_url

from olympus.errors import ConfigError
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import file_bytes, make_settings

SECRET = "Managed-Secret-Pw-77"


@pytest.fixture
def secrets(tmp_path, monkeypatch, pg_url):
    """A secrets.toml declaring a PostgreSQL connection (with a password) and a DuckDB file."""
    url = make_url(pg_url)
    duck = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(duck))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    path = tmp_path / "secrets.toml"

    def write(extra: str = "") -> None:
        path.write_text(f"""
OPENAI_API_KEY = ""
[connections.warehouse]
type = "postgresql"
host = "{url.host or url.query.get('host')}"
port = {url.port or 5432}
username = "{url.username}"
database = "{url.database}"
sslmode = "disable"
password = "{SECRET}"

[connections.files]
type = "duckdb"
path = "{duck}"
space = "finance"
{extra}""")

    write()
    monkeypatch.setenv("OLYMPUS_SECRETS_FILE", str(path))
    return write


def test_declared_connections_are_listed_used_and_read_only(secrets, tmp_path, pg_url):
    settings = make_settings(tmp_path / "home", OLYMPUS_DATA_DIR=str(tmp_path))
    store = Store.from_settings(settings)
    ws = Workspace(store, settings=settings)
    finance = Workspace(store, "finance", settings=settings)
    try:
        record = ws.get("warehouse")
        assert record.managed and [r.name for r in ws.connections()] == ["warehouse"]
        assert [r.name for r in finance.connections()] == ["files"]  # its own space only
        assert ws.run_sql("warehouse", "SELECT 1 AS one").rows() == [[1]]
        assert finance.run_sql("files", "SELECT x FROM t").rows() == [[1]]
        assert ws.test_connection("warehouse").ok
        for change in (lambda: ws.update_connection("warehouse", new_name="w2"),
                       lambda: ws.remove_connection("warehouse"),
                       lambda: ws.test_params("postgresql", {"host": "x"}, existing="warehouse")):
            with pytest.raises(ConfigError, match="managed in the server's secrets.toml"):
                change()
        assert SECRET.encode() not in file_bytes(settings.home / "olympus.db")
        assert "password" in record.secret_fields_set  # shown as saved, never stored
    finally:
        ws.close()
        finance.close()
        store.dispose()


def test_a_removed_declaration_disappears(secrets, tmp_path):
    settings = make_settings(tmp_path / "home", OLYMPUS_DATA_DIR=str(tmp_path))
    store = Store.from_settings(settings)
    ws = Workspace(store, "finance", settings=settings)
    assert [r.name for r in ws.connections()] == ["files"]
    import os
    import time

    secrets_path = os.environ["OLYMPUS_SECRETS_FILE"]
    text = open(secrets_path).read().replace("[connections.files]", "[other]")
    time.sleep(0.01)
    open(secrets_path, "w").write(text)
    os.utime(secrets_path, (time.time() + 5, time.time() + 5))
    assert Workspace(store, "finance", settings=settings).connections() == []
    store.dispose()
