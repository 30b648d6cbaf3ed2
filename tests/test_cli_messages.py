"""CLI messages that help (issue 11): a near-miss setting is named, `keys rotate` says where the
key is, `sql --format json` is strict JSON even when it fails, `schema --search` ranks names."""

from __future__ import annotations

import json

import duckdb

from olympus.crypto import generate_key
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import clean_env, cli, make_settings


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def test_a_setting_close_to_a_real_one_is_named(tmp_path):
    home = tmp_path / "home"
    done = cli(home, "connections", "add", "x", "--type", "postgresql", "--param", "host=h",
               "--param", "user=bob", "--no-test")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Unknown setting(s) for PostgreSQL / Supabase: user." in done.stderr
    assert "Did you mean `username`?" in done.stderr and "--param user=" in done.stderr
    far = cli(home, "connections", "add", "x", "--type", "postgresql", "--param", "host=h",
              "--param", "colour=red", "--no-test")
    assert "Unknown setting" in far.stderr and "Did you mean" not in far.stderr  # no wild guess
    assert "No connections yet" in ok(cli(home, "connections", "list")).stdout


def _add_secret(home, **env):
    return ok(cli(home, "connections", "add", "pg", "--type", "postgresql", "--param", "host=h",
                  "--param", "username=u", "--param", "password=p", "--no-test",
                  env=clean_env(home, **env)))


def test_keys_rotate_with_the_key_file_says_where_it_is_and_the_steps_work(tmp_path):
    home = tmp_path / "home"
    _add_secret(home)  # no OLYMPUS_SECRET_KEY: a key file is generated
    key_file = home / "secret.key"
    old = key_file.read_text().strip()
    said = ok(cli(home, "keys", "rotate")).stdout
    assert str(key_file) in said and "OLYMPUS_SECRET_KEY is not set" in said
    assert "NEW,OLD" in said and "keys generate" in said
    # Follow the steps it gives: NEW,OLD in the file, rotate, then only NEW.
    new = generate_key()
    key_file.write_text(f"{new},{old}\n")
    rotated = ok(cli(home, "keys", "rotate")).stdout
    assert "Re-encrypted 1 connection(s) with the newest key" in rotated
    assert str(key_file) in rotated and "keeping only the first" in rotated
    key_file.write_text(new + "\n")
    assert ok(cli(home, "connections", "list", "--json")).stdout.count('"name": "pg"') == 1
    ws = Workspace(Store.from_settings(make_settings(home)), settings=make_settings(home))
    try:  # the new key alone reads the password
        assert ws.store.connector(ws.owner, ws.get("pg").id).params["password"] == "p"
    finally:
        ws.close()
    key_file.write_text(old + "\n")  # and the old one no longer does
    stale = cli(home, "connections", "list")
    assert stale.returncode == 1 and "Wrong secret key" in stale.stderr


def test_keys_rotate_with_the_environment_key_still_names_the_variable(tmp_path):
    home = tmp_path / "home"
    key = generate_key()
    _add_secret(home, OLYMPUS_SECRET_KEY=key)
    said = ok(cli(home, "keys", "rotate", env=clean_env(home, OLYMPUS_SECRET_KEY=key))).stdout
    assert "OLYMPUS_SECRET_KEY=NEW,OLD" in said and "secret.key" not in said


def _numbers(tmp_path):
    path = tmp_path / "n.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE n AS SELECT * FROM (VALUES (1, 'nan'::DOUBLE), "
                "(2, 'infinity'::DOUBLE), (3, '-infinity'::DOUBLE), (4, 2.5), (5, NULL)) t(id, x)")
    con.close()
    return path


def test_sql_json_is_strict_indented_and_failures_are_json(tmp_path):
    home = tmp_path / "home"
    ok(cli(home, "connections", "add", "n", "--type", "duckdb", "--param",
           f"path={_numbers(tmp_path)}"))
    out = ok(cli(home, "sql", "n", "SELECT id, x FROM n ORDER BY id", "--format", "json")).stdout
    assert out.startswith('{\n  "columns": [')  # indented like `connections list --json`
    data = json.loads(out, parse_constant=lambda name: (_ for _ in ()).throw(
        ValueError(f"not JSON: {name}")))  # NaN / Infinity literals are refused here
    values = dict(data["rows"])
    assert values[2] == "Infinity" and values[3] == "-Infinity" and values[4] == 2.5
    assert values[1] in (None, "NaN") and values[5] is None
    failed = cli(home, "sql", "n", "SELECT nope FROM n", "--format", "json")
    assert failed.returncode == 1
    error = json.loads(failed.stdout)["error"]
    assert error["type"] == "syntax" and "nope" in error["message"]
    assert "SQL error" in failed.stderr  # and the one-line message for a person
    missing = cli(home, "sql", "absent", "SELECT 1", "--format", "json")
    assert json.loads(missing.stdout)["error"]["type"] == "not_found"


def test_schema_search_ranks_names_above_descriptions_like_the_schema_page(tmp_path):
    from olympus.ui.schema import find  # the page's own ranking

    home = tmp_path / "home"
    ok(cli(home, "demo"))
    done = ok(cli(home, "schema", "Demo", "--search", "loan"))
    listed = [line.split()[0] for line in done.stdout.splitlines()[2:]]
    assert listed[:3] == ["main.loans", "main.loan_officers", "main.loan_products"]
    assert len(listed) == 8 and "(3 by name, then 5 by description only)" in done.stderr
    ws = Workspace(Store.from_settings(make_settings(home)), settings=make_settings(home))
    try:
        snapshot = ws.schema("Demo")
        named, _ = find(snapshot, "loan")
        assert listed[:3] == [t.qualified_name for t in named]
        everything, _ = find(snapshot, "loan", descriptions=True)
        assert listed == [t.qualified_name for t in everything]
    finally:
        ws.close()
