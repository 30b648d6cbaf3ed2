"""BigQuery specifics: the dry run as a second guard, the bytes cap message, credentials."""

from __future__ import annotations

import pytest

from olympus.connectors import create_connector
from olympus.errors import ConfigError, PermissionDenied, RateLimited, SQLSyntaxError, UnsafeSQL
from tests.contract.conftest import SECRET


def _bq(**params):
    return create_connector("bigquery", {"project": "p", **params})


def test_bytes_billed_error_says_how_many_bytes():
    err = _bq().map_error(Exception("400 POST https://x: Query exceeded limit for bytes billed: "
                                    "1000. 10485760 or higher required."), "SELECT 1")
    assert isinstance(err, UnsafeSQL)
    assert err.message == ("This query would process 10,485,760 bytes, above the max bytes billed "
                           "setting (1,000 bytes).")


@pytest.mark.parametrize("text, kind", [
    ("403 Access Denied: Table p:d.t: User does not have permission", PermissionDenied),
    ("403 Billing has not been enabled for this project. reason: billingNotEnabled",
     PermissionDenied),
    ("404 Not found: Dataset p:nope was not found in location US", SQLSyntaxError),
    ("400 Syntax error: Unexpected identifier", SQLSyntaxError),
    ("403 Quota exceeded: Your project exceeded quota. reason: quotaExceeded", RateLimited),
])
def test_error_table(text, kind):
    assert isinstance(_bq().map_error(Exception(text)), kind)


def test_bad_service_account_json_is_a_clear_config_error():
    connector = _bq(credentials_json='{"type": "service_account", "private_key": "%s"' % SECRET)
    with pytest.raises(ConfigError) as info:
        connector.client()
    assert SECRET not in repr(connector) and SECRET not in str(info.value.to_dict())


def test_default_max_bytes_and_offline_engine():
    connector = _bq(dataset="d", api_endpoint="http://127.0.0.1:9")
    assert connector.params["maximum_bytes_billed"] == 10 * 1024 ** 3
    assert connector.url() == "bigquery://p/d?user_supplied_client=true"
    assert connector.engine.dialect.name == "bigquery"  # built without google.auth.default()
    connector.dispose()


def _only(name):
    """Run on one backend of the contract fixture (indirect parametrization, no skips)."""
    return pytest.mark.parametrize("backend", [name], indirect=True)


@_only("bigquery")
def test_dry_run_refuses_writes_even_without_the_guard(backend):
    with pytest.raises(UnsafeSQL) as info:
        backend.connector.fetch(f"DELETE FROM {backend.t('customers')} WHERE true",
                                 limit=10, timeout_s=10)
    assert "DELETE" in info.value.message
    count = backend.connector.fetch(f"SELECT count(*) FROM {backend.t('customers')}",
                                     limit=10, timeout_s=10)
    assert count.table.column(0).to_pylist() == [25]


@_only("bigquery")
def test_unqualified_names_use_the_default_dataset(backend):
    """The emulator gap in TEST-SERVICES.md (URL default dataset) is avoided: the job config sets it."""
    fetched = backend.connector.fetch("SELECT count(*) FROM customers", limit=10, timeout_s=10)
    assert fetched.table.column(0).to_pylist() == [25]
