"""A saved password never follows an edited host: the exfiltration found in review (edit the
host to a server you control, leave the password blank, press Test or Save) is refused."""

from __future__ import annotations

import socket
import threading

import pytest

from olympus.config import Settings
from olympus.errors import ConfigError
from olympus.store import Store
from olympus.workspace import Workspace

SECRET = "Saved-Pw-Never-Moves-9"


class Listener:
    """A TCP server on 127.0.0.1 that records whatever bytes a client sends (the 'attacker')."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                self.received += conn.recv(65536)
            except OSError:
                pass
            conn.close()


@pytest.fixture
def ws(tmp_path, pg_url):
    from sqlalchemy.engine import make_url

    settings = Settings.from_env({"OLYMPUS_HOME": str(tmp_path / "home")})
    store = Store.from_settings(settings)
    workspace = Workspace(store, "alice", settings=settings)
    url = make_url(pg_url)
    workspace.add_connection("pg", "postgresql", {
        "host": url.host or "127.0.0.1", "port": url.port or 5432, "username": url.username,
        "password": SECRET, "database": url.database, "sslmode": "disable"},
        save_untested=True)
    yield workspace
    workspace.close()
    store.dispose()


def test_test_and_save_refuse_to_send_a_saved_password_to_a_new_host(ws):
    evil = Listener()
    edit = {"host": "127.0.0.1", "port": evil.port}
    with pytest.raises(ConfigError, match="would send the saved Password") as refused:
        ws.test_params("postgresql", edit, existing="pg")
    assert refused.value.fields == ("password",)
    with pytest.raises(ConfigError, match="would send the saved Password"):
        ws.update_connection("pg", params=edit)
    assert evil.connections == 0 and SECRET.encode() not in evil.received
    assert ws.get("pg").params["port"] != evil.port  # nothing saved


def test_typing_the_password_again_allows_the_move_and_other_edits_keep_it(ws):
    evil = Listener()
    ws.update_connection("pg", params={"database": "postgres"})  # not a target field: kept
    result = ws.test_params("postgresql", {"host": "127.0.0.1", "port": evil.port,
                                           "password": "a-new-one"}, existing="pg")
    assert not result.ok  # the listener is no PostgreSQL; what it saw is the new password only
    assert SECRET.encode() not in evil.received


def test_the_type_of_a_connection_cannot_change_under_its_secrets(ws):
    with pytest.raises(ConfigError, match="type can't change"):
        ws.test_params("redshift", {"host": "127.0.0.1"}, existing="pg")
