"""File connections open only files under OLYMPUS_DATA_DIR, never Olympus's own files."""

from __future__ import annotations

import os
import sqlite3

import duckdb
import pytest

from olympus.config import Settings
from olympus.connectors import connector_class, create_connector
from olympus.errors import ConfigError
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import cli, clean_env


@pytest.fixture()
def env(tmp_path, monkeypatch):
    """OLYMPUS_HOME with a store, a key and a demo; one data directory; a file outside both."""
    home, data, outside = tmp_path / "home", tmp_path / "data", tmp_path / "outside"
    for d in (home, data, outside):
        d.mkdir()
    monkeypatch.setenv("OLYMPUS_HOME", str(home))
    monkeypatch.setenv("OLYMPUS_DATA_DIR", f"{data}{os.pathsep}{tmp_path / 'more'}")
    for var in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_AUTH"):
        monkeypatch.delenv(var, raising=False)
    for path in (data / "shop.duckdb", outside / "other.duckdb", home / "demo.duckdb",
                 home / "copy.duckdb"):
        duckdb.connect(str(path)).close()
    sqlite3.connect(data / "shop.sqlite").execute("CREATE TABLE t (x)").connection.close()
    store = Store(settings=Settings.from_env())
    store.keyring()  # creates OLYMPUS_HOME/secret.key
    yield {"home": home, "data": data, "outside": outside, "store": store,
           "tmp": tmp_path}
    store.dispose()


def _refused(kind: str, path, *words: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        create_connector(kind, {"path": str(path)})
    assert caught.value.fields == ("path",)
    for word in ("OLYMPUS_DATA_DIR", *words):
        assert word in f"{caught.value.message} {caught.value.suggestion}", caught.value.message
    return caught.value


def test_files_under_a_data_dir_open(env):
    for kind, name in (("duckdb", "shop.duckdb"), ("sqlite", "shop.sqlite")):
        connector = create_connector(kind, {"path": str(env["data"] / name)})
        assert connector.test().ok
        connector.dispose()


def test_a_file_outside_every_data_dir_is_refused(env):
    _refused("duckdb", env["outside"] / "other.duckdb", "not under OLYMPUS_DATA_DIR",
             str(env["data"]))
    _refused("sqlite", "/etc/passwd")
    _refused("duckdb", env["data"] / ".." / "outside" / "other.duckdb")  # no way out by ..


def test_the_store_and_the_secret_key_are_refused(env):
    _refused("sqlite", env["home"] / "olympus.db", "Olympus's own files")
    _refused("duckdb", env["home"] / "secret.key", "Olympus's own files")
    _refused("duckdb", env["home"] / "copy.duckdb", "inside OLYMPUS_HOME")


def test_the_store_is_refused_wherever_it_lives(env, monkeypatch):
    store_file = env["data"] / "store.db"
    monkeypatch.setenv("OLYMPUS_STORE_URL", f"sqlite:///{store_file}")
    Store(settings=Settings.from_env()).dispose()
    _refused("sqlite", store_file, "Olympus's own files")
    _refused("sqlite", f"{store_file}-wal", "Olympus's own files")


def test_a_symlink_into_olympus_home_is_refused(env):
    link = env["data"] / "innocent.sqlite"
    link.symlink_to(env["home"] / "olympus.db")
    _refused("sqlite", link, "Olympus's own files")
    folder = env["data"] / "dir"
    folder.symlink_to(env["home"])
    _refused("duckdb", folder / "copy.duckdb", "inside OLYMPUS_HOME")


def test_a_symlink_swapped_after_saving_is_refused_when_opening(env):
    link = env["data"] / "swap.duckdb"
    link.symlink_to(env["data"] / "shop.duckdb")
    connector = create_connector("duckdb", {"path": str(link)})  # validated: fine for now
    link.unlink()
    link.symlink_to(env["home"] / "copy.duckdb")
    result = connector.test()
    assert not result.ok and "inside OLYMPUS_HOME" in result.error.message
    assert f"resolves to {env['home'].resolve() / 'copy.duckdb'}" in result.error.message
    connector.dispose()


def test_the_demo_keeps_working(env):
    ws = Workspace(env["store"], "alice")
    record = ws.ensure_demo()
    assert record.params["path"] == str(env["home"] / "demo.duckdb")
    assert ws.run_sql(record.name, "SELECT 1 AS x").row_count == 1
    ws.close()


def test_forms_and_cli_show_the_path_field(env):
    from olympus.ui import forms

    _, errors = forms.collect(connector_class("sqlite"), {"path": str(env["home"] / "olympus.db")})
    assert "Olympus's own files" in errors["path"]
    run = cli(env["home"], "connections", "add", "x", "--type", "sqlite", "--param",
              f"path={env['outside'] / 'other.duckdb'}",
              env=clean_env(env["home"], OLYMPUS_DATA_DIR=str(env["data"])))
    assert run.returncode == 1 and "--param path=" in run.stderr
    assert "OLYMPUS_DATA_DIR" in run.stderr


def test_default_data_dir_is_home_locally_and_nothing_with_sign_in(tmp_path):
    from pathlib import Path

    assert Settings.from_env({"OLYMPUS_HOME": str(tmp_path)}).data_dirs == (Path.home(),)
    assert Settings.from_env({"OLYMPUS_HOME": str(tmp_path), "OLYMPUS_AUTH": "oidc"}
                             ).data_dirs == ()
    with pytest.raises(ConfigError, match="OLYMPUS_AUTH"):
        Settings.from_env({"OLYMPUS_AUTH": "ldap"})
