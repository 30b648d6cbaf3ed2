"""The connector contract: the same tests on every backend; known gaps fail strictly (xfail)."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from olympus.catalog import find_table, introspect
from olympus.errors import (AuthenticationFailed, ConnectionFailed, OlympusError, QueryTimeout,
                            SQLSyntaxError, UnsafeSQL)
from olympus.runner import run_query
from tests.contract import schema
from tests.contract.conftest import SECRET


def _run(backend, sql: str, **options):
    return run_query(backend.connector, sql, limiter=None, **options)


def _snapshot(backend) -> dict:
    """The catalog in its external (FEAT-001 JSON) shape, which these checks read."""
    return introspect(backend.connector, include=[backend.schema]).to_dict()


def _table(snapshot, backend, name: str) -> dict:
    found = [t for t in snapshot["tables"]
             if t["name"].lower() == name and t["schema"] == backend.schema]
    assert found, f"{name} missing from catalog: {[t['name'] for t in snapshot['tables']]}"
    return found[0]


def _cols(table: dict) -> dict[str, dict]:
    return {c["name"].lower(): c for c in table["columns"]}


def _lower(names) -> list[str]:
    return [str(n).lower() for n in names]


# ---- test() -----------------------------------------------------------------------------------


def test_connection_test_reports_version_database_latency(backend):
    result = backend.connector.test()
    assert result.ok, result.error
    assert result.server_version and result.server_version.strip()
    assert str(result.database).lower() == backend.database.lower()
    assert 0 < result.latency_ms < 30_000
    assert result.to_dict()["error"] is None


# ---- catalog ----------------------------------------------------------------------------------


def test_catalog_lists_tables_and_views(backend):
    snapshot = _snapshot(backend)
    kinds = {t["name"].lower(): t["kind"] for t in snapshot["tables"]
             if t["schema"] == backend.schema}
    assert kinds == {"customers": "table", "orders": "table", "customer_orders": "view"}
    assert datetime.fromisoformat(snapshot["introspected_at"])


def test_catalog_columns_types_nullable(backend):
    customers = _table(_snapshot(backend), backend, "customers")
    cols = _cols(customers)
    assert list(cols) == ["id", "name", "signup", "balance", "active", "created_at"]
    assert not cols["name"]["nullable"]
    assert cols["signup"]["nullable"] and cols["balance"]["nullable"]
    types = {k: v["type"].lower() for k, v in cols.items()}
    assert any(w in types["id"] for w in ("int", "number")), types
    assert any(w in types["balance"] for w in ("numeric", "decimal", "number")), types
    assert any(w in types["name"] for w in ("text", "char", "string")), types
    assert "date" in types["signup"], types
    assert any(w in types["created_at"] for w in ("timestamp", "datetime")), types
    view = _table(_snapshot(backend), backend, "customer_orders")
    assert list(_cols(view)) == ["name", "amount"]


# Each capability: where the connector class declares it absent, the catalog must show none of it
# anywhere (asserted, not xfailed); where it is declared, the fixture's values must come back.


def _ours(snapshot, backend) -> list[dict]:
    return [t for t in snapshot["tables"] if t["schema"] == backend.schema]


def _absent(what: str, values) -> None:
    shown = [v for v in values if v not in (None, [])]
    assert not shown, f"{what}: the connector class declares none, yet the catalog shows {shown}"


def test_catalog_primary_keys(backend):
    snapshot = _snapshot(backend)
    if not backend.capabilities.primary_keys:
        return _absent("primary keys", [t["primary_key"] for t in _ours(snapshot, backend)])
    with backend.gap("primary_keys"):
        for name in ("customers", "orders"):
            keys = _lower(_table(snapshot, backend, name)["primary_key"])
            assert keys == ["id"], f"primary key of {name}: {keys}"


def test_catalog_foreign_keys(backend):
    snapshot = _snapshot(backend)
    if not backend.capabilities.foreign_keys:
        return _absent("foreign keys", [t["foreign_keys"] for t in _ours(snapshot, backend)])
    fks = _table(snapshot, backend, "orders")["foreign_keys"]
    with backend.gap("foreign_keys"):
        assert len(fks) == 1, f"foreign keys of orders: {fks}"
        assert _lower(fks[0]["columns"]) == ["customer_id"]
        ref = fks[0]["references"]
        assert ref["table"].lower() == "customers" and _lower(ref["columns"]) == ["id"]
        assert ref["schema"] == backend.schema


def test_catalog_table_comments(backend):
    snapshot = _snapshot(backend)
    if not backend.capabilities.table_comments:
        return _absent("table comments", [t["description"] for t in _ours(snapshot, backend)])
    assert _table(snapshot, backend, "orders")["description"] is None
    with backend.gap("table_comments"):
        found = _table(snapshot, backend, "customers")["description"]
        assert found == "People who buy", f"comment on customers: {found!r}"


def test_catalog_column_comments(backend):
    snapshot = _snapshot(backend)
    if not backend.capabilities.column_comments:
        return _absent("column comments", [c["description"] for t in _ours(snapshot, backend)
                                           for c in t["columns"]])
    cols = _cols(_table(snapshot, backend, "customers"))
    assert cols["id"]["description"] is None
    with backend.gap("column_comments"):
        found = cols["name"]["description"]
        assert found == "Full name", f"comment on customers.name: {found!r}"


def test_catalog_row_estimates(backend):
    snapshot = _snapshot(backend)
    if not backend.capabilities.row_estimates:
        return _absent("row estimates", [t["row_count_estimate"] for t in _ours(snapshot, backend)])
    assert _table(snapshot, backend, "customer_orders")["row_count_estimate"] is None
    with backend.gap("row_estimates"):
        found = {n: _table(snapshot, backend, n)["row_count_estimate"]
                 for n in ("customers", "orders")}
        assert found == {"customers": schema.N_CUSTOMERS, "orders": schema.N_ORDERS}, \
            f"row estimates: {found}"


def test_catalog_is_json_and_filterable(backend):
    import json

    catalog = introspect(backend.connector, exclude=[backend.schema])
    assert not [t for t in catalog.tables if t.schema == backend.schema]
    ours = introspect(backend.connector, include=[backend.schema])
    assert json.loads(ours.to_json()) == json.loads(json.dumps(ours.to_dict()))  # as stored
    assert find_table(ours, f"{backend.schema}.orders").name.lower() == "orders"


# ---- queries ----------------------------------------------------------------------------------


def test_query_values_and_column_names(backend):
    result = _run(backend, f"SELECT id, name, balance FROM {backend.t('customers')} "
                           "WHERE id <= 3 ORDER BY id")
    assert _lower(result.columns) == ["id", "name", "balance"]
    assert result.row_count == 3 and not result.truncated
    rows = result.df.to_dict("list")
    rows = {k.lower(): v for k, v in rows.items()}
    assert [int(v) for v in rows["id"]] == [1, 2, 3]
    assert rows["name"] == ["Customer 01", "Customer 02", "Customer 03"]
    assert [round(float(v), 2) for v in rows["balance"]] == [10.5, 21.0, 31.5]
    assert result.elapsed_ms > 0 and result.sql


def _typed_row(backend) -> tuple[dict, dict]:
    """Customer 2 as (column -> Arrow type, column -> value); one gap per type family below, so
    each declared type gap is checked on its own instead of hiding the ones after it."""
    result = _run(backend, f"SELECT id, balance, active, signup, created_at, name "
                           f"FROM {backend.t('customers')} WHERE id = 2")
    arrow = {n.lower(): f.type for n, f in zip(result.columns, _schema(result))}
    row = {k.lower(): v for k, v in result.df.iloc[0].to_dict().items()}
    return arrow, row


def test_query_types_are_sensible(backend):
    arrow, row = _typed_row(backend)
    assert pa.types.is_integer(arrow["id"]) or pa.types.is_decimal(arrow["id"]), arrow
    assert pa.types.is_string(arrow["name"]) or pa.types.is_large_string(arrow["name"]), arrow
    assert float(row["balance"]) == 21.0


def test_query_numeric_type(backend):
    arrow, _ = _typed_row(backend)
    with backend.gap("numeric_type"):
        found = arrow["balance"]
        assert pa.types.is_decimal(found) or pa.types.is_floating(found), f"balance is {found}"


def test_query_boolean_type(backend):
    arrow, row = _typed_row(backend)
    with backend.gap("boolean_type"):
        assert pa.types.is_boolean(arrow["active"]), f"active is {arrow['active']}"
    assert bool(row["active"]) is True


def test_query_temporal_types(backend):
    arrow, row = _typed_row(backend)
    with backend.gap("temporal_types"):
        assert pa.types.is_date(arrow["signup"]), f"signup is {arrow['signup']}"
        assert pa.types.is_timestamp(arrow["created_at"]), f"created_at is {arrow['created_at']}"
    assert row["signup"] == date(2024, 1, 2)
    stamp = row["created_at"].to_pydatetime().replace(tzinfo=None)
    assert stamp == datetime(2024, 1, 2, 12, 30)


def _schema(result):
    return pa.Schema.from_pandas(result.df, preserve_index=False)


def test_limit_fetches_n_plus_one_and_says_truncated(backend):
    sql = f"SELECT id FROM {backend.t('orders')} ORDER BY id"
    limited = _run(backend, sql, limit=10)
    assert limited.row_count == 10 and limited.truncated
    assert [int(v) for v in limited.df.iloc[:, 0]] == list(range(1, 11))
    exact = _run(backend, sql, limit=schema.N_ORDERS)
    assert exact.row_count == schema.N_ORDERS and not exact.truncated
    unlimited = _run(backend, sql, limit=None)
    assert unlimited.row_count == schema.N_ORDERS and not unlimited.truncated
    assert "limit" not in limited.sql.lower()  # never by pasting LIMIT onto the SQL


def test_empty_result_keeps_columns(backend):
    result = _run(backend, f"SELECT id, name FROM {backend.t('customers')} WHERE id < 0")
    assert result.row_count == 0 and _lower(result.columns) == ["id", "name"]


def test_slow_query_times_out(backend):
    start = time.monotonic()
    with backend.gap("statement_timeout"):
        with pytest.raises(QueryTimeout) as info:
            _run(backend, backend.slow_sql, timeout_s=1)
        assert time.monotonic() - start < 20
        assert info.value.sql and "time" in info.value.message.lower()
    # the connection is still usable afterwards
    assert _run(backend, f"SELECT count(*) FROM {backend.t('customers')}").row_count == 1


# ---- errors -----------------------------------------------------------------------------------


def test_wrong_password_is_authentication_failed(backend):
    if not backend.capabilities.passwords:  # declared: nothing to authenticate (embedded files)
        assert backend.wrong_password is None and not backend.connector.secret_fields()
        assert not {"password", "credentials_json"} & {f.name for f in backend.connector.fields}
        return
    assert backend.wrong_password is not None, "the class checks credentials: test a wrong one"
    connector = backend.wrong_password()
    try:
        result = connector.test()
    finally:
        connector.dispose()
    if result.error is not None:
        _no_secret(result.error)
    with backend.gap("passwords"):
        assert not result.ok, f"a wrong credential connected: {result}"
        assert isinstance(result.error, AuthenticationFailed), repr(result.error)
        assert result.error.message == "Authentication failed. Check credentials."


def test_refused_port_is_connection_failed(backend):
    connector = backend.refused()
    try:
        start = time.monotonic()
        result = connector.test()
        elapsed = time.monotonic() - start
    finally:
        connector.dispose()
    assert not result.ok and isinstance(result.error, ConnectionFailed), repr(result.error)
    if backend.refused_message:
        assert result.error.message == backend.refused_message
    assert elapsed < 30
    _no_secret(result.error)


def test_bad_sql_is_syntax_error_from_the_database(backend):
    with pytest.raises(SQLSyntaxError) as info:
        _run(backend, f"SELECT no_such_column FROM {backend.t('customers')}")
    assert info.value.sql and info.value.message
    with pytest.raises(SQLSyntaxError):
        _run(backend, f"SELECT * FROM {backend.t('no_such_table')}")


@pytest.mark.parametrize("sql", [
    "DELETE FROM {customers}",
    "SELECT 1; DROP TABLE {customers}",
    "WITH gone AS (DELETE FROM {customers} RETURNING id) SELECT * FROM gone",
    "UPDATE {customers} SET name = 'x'",
])
def test_unsafe_sql_is_refused_and_nothing_changes(backend, sql):
    with pytest.raises((UnsafeSQL, SQLSyntaxError)) as info:
        _run(backend, sql.format(customers=backend.t("customers")))
    assert info.value.message
    result = _run(backend, f"SELECT count(*) AS n, min(name) AS m FROM {backend.t('customers')}")
    values = list(result.df.iloc[0])
    assert int(values[0]) == schema.N_CUSTOMERS and values[1] == "Customer 01"


def test_session_itself_refuses_writes(backend):
    """Read-only in depth: past the guard, a declared read-only session refuses a write itself;
    without one (declared), the guard is the only layer and must refuse the same write."""
    delete = f"DELETE FROM {backend.t('customers')}"
    if not backend.capabilities.read_only_session:
        with pytest.raises(UnsafeSQL):
            _run(backend, delete)
    else:
        with backend.gap("read_only_session"), pytest.raises(UnsafeSQL) as info:
            with backend.connector.session(30, sql=delete) as cursor:
                cursor.execute(delete)
        assert info.value.message == "The database refused a write: this session is read-only."
    result = _run(backend, f"SELECT count(*) FROM {backend.t('customers')}")
    assert int(result.df.iloc[0, 0]) == schema.N_CUSTOMERS


def test_secrets_never_in_repr_or_errors(backend):
    if not backend.capabilities.passwords:  # declared: no secret fields at all
        assert not backend.connector.secret_fields()
        return
    secret_field = backend.connector.secret_fields()[0]
    connector = backend.make(**{secret_field: SECRET})
    texts = [repr(connector), str(connector)]
    try:
        result = connector.test()
        if result.error is not None:
            texts += _error_texts(result.error)
        try:
            _run(backend, f"SELECT no_such_column FROM {backend.t('customers')}")
        except OlympusError as err:
            texts += _error_texts(err)
    finally:
        connector.dispose()
    assert not [t for t in texts if SECRET in t]


def _error_texts(err: OlympusError) -> list[str]:
    return [str(err), repr(err), err.message, err.title, err.suggestion or "", err.detail or "",
            str(err.to_dict())]


def _no_secret(err: OlympusError) -> None:
    assert not [t for t in _error_texts(err) if SECRET in t]


def test_decimal_fixture_is_exact():
    """The fixture itself: balances are exact decimals (so float asserts above are meaningful)."""
    assert schema.customers()[1][3] == Decimal("21.0")
