"""Snowflake specifics: key-pair auth, settings, the error table, the per-statement parameters."""

from __future__ import annotations

import pytest

from olympus.connectors import create_connector
from olympus.errors import (AuthenticationFailed, ConfigError, ConnectionFailed, PermissionDenied,
                            QueryTimeout, SQLSyntaxError)
from tests.contract.conftest import SECRET

BASE = {"account": "myorg-acct", "user": "olympus", "database": "analytics"}


def _pem(passphrase: str | None) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode()


def test_password_or_key_is_required():
    with pytest.raises(ConfigError) as info:
        create_connector("snowflake", BASE)
    assert "Private key" in info.value.message


def test_key_pair_goes_to_connect_args_as_der_and_never_in_url_or_repr():
    connector = create_connector("snowflake", {**BASE, "private_key": _pem(SECRET),
                                               "private_key_passphrase": SECRET})
    args = connector.engine_options()["connect_args"]
    assert isinstance(args["private_key"], bytes) and args["private_key"][:1] == b"0"  # DER
    assert args["login_timeout"] == 5
    assert args["session_parameters"]["QUERY_TAG"] == "olympus"
    assert "BEGIN" not in str(connector.url()) and SECRET not in repr(connector)
    assert connector.params["schema"] == "PUBLIC"


def test_bad_private_key_is_a_config_error_without_echo():
    connector = create_connector("snowflake", {**BASE, "private_key": "-----BEGIN " + SECRET})
    with pytest.raises(ConfigError) as info:
        connector.engine_options()
    assert SECRET not in str(info.value.to_dict())


@pytest.mark.parametrize("text, kind", [
    ("250001 (08001): Failed to connect to DB: Incorrect username or password was specified.",
     AuthenticationFailed),
    ("250001 (08001): Could not connect to Snowflake backend after 2 attempt(s).", ConnectionFailed),
    ("000630 (57014): Statement reached its statement or warehouse timeout of 1 second(s) and "
     "was canceled.", QueryTimeout),
    ("000606 (57P03): No active warehouse selected in the current session.", ConfigError),
    ("002003 (42S02): SQL compilation error: Object 'X' does not exist or not authorized.",
     SQLSyntaxError),
    ("003001 (42501): SQL access control error: Insufficient privileges to operate on table",
     PermissionDenied),
])
def test_error_table(text, kind):
    connector = create_connector("snowflake", {**BASE, "password": SECRET})
    assert isinstance(connector.map_error(Exception(text)), kind)


def _only(name):
    """Run on one backend of the contract fixture (indirect parametrization, no skips)."""
    return pytest.mark.parametrize("backend", [name], indirect=True)


@_only("snowflake")
def test_fetch_sends_one_statement_with_timeout_and_tag(backend, monkeypatch):
    """The real connector's execute() receives num_statements=1 and the statement parameters."""
    from snowflake.connector.cursor import SnowflakeCursor

    seen = {}
    original = SnowflakeCursor.execute

    def spy(self, command, *args, **kwargs):
        seen[command] = kwargs
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(SnowflakeCursor, "execute", spy)
    backend.connector.fetch("SELECT count(*) FROM customers", limit=5, timeout_s=7)
    kwargs = seen["SELECT count(*) FROM customers"]
    assert kwargs["num_statements"] == 1 and kwargs["timeout"] == 7
    assert kwargs["_statement_params"] == {"STATEMENT_TIMEOUT_IN_SECONDS": 7,
                                           "QUERY_TAG": "olympus"}
