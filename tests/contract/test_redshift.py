"""Redshift specifics. Runs the real connector against PostgreSQL + stand-in svv_* views.

What the stand-in cannot prove (needs a real cluster): that Redshift's leader node accepts these
exact catalog queries (svv_tables/svv_columns/pg_description/pg_constraint each run alone, no
unnest/ARRAY()); svv_table_info's superuser-only visibility and its missing rows for empty tables;
Redshift's cancel message for statement_timeout; late-binding views and Spectrum tables.
"""

from __future__ import annotations

import pytest

from olympus.connectors import create_connector
from olympus.connectors.redshift import Redshift, column_type, parse_constraint
from olympus.errors import QueryTimeout, SSLRequired, UnsafeSQL

REAL_VERSION = ("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 "
                "(Red Hat 3.4.2-6.fc3), Redshift 1.0.77467")


def _redshift(**params) -> Redshift:
    return create_connector("redshift", {"host": "example.redshift.amazonaws.com",
                                         "username": "u", **params})


def test_defaults_and_version_parsing():
    connector = _redshift()
    assert connector.params["port"] == 5439 and connector.dialect == "redshift"
    assert not connector.arrow_native
    assert connector.clean_version(REAL_VERSION) == "Redshift 1.0.77467"
    assert connector.clean_version("PostgreSQL 16.2 on x86_64") == "PostgreSQL 16.2"


def test_constraint_definitions_parse():
    assert parse_constraint("PRIMARY KEY (id)") == (["id"], [])
    assert parse_constraint('FOREIGN KEY (a, "Odd ""x""") REFERENCES s.t(x, y)') == (
        ["a", 'Odd "x"'], ["x", "y"])
    assert column_type("character varying", 256, None, None) == "character varying(256)"
    assert column_type("numeric", None, 10, 2) == "numeric(10,2)"


def test_error_rules_cover_redshift_texts():
    connector = _redshift()
    assert isinstance(connector.map_error(Exception("ERROR: Query (150) canceled on user's "
                                                    "request")), QueryTimeout)
    assert isinstance(connector.map_error(Exception(
        "connection to server at \"x\" (1.2.3.4), port 5439 failed: SSL SYSCALL error")), SSLRequired)


def _only(name):
    """Run on one backend of the contract fixture (indirect parametrization, no skips)."""
    return pytest.mark.parametrize("backend", [name], indirect=True)


@_only("redshift")
def test_catalog_reads_the_standin_views_not_pg_class(backend):
    """Proof the connector used svv_*: a table hidden from the stand-in views is not listed."""
    from sqlalchemy import create_engine, text

    url = backend.connector.params["url"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE OR REPLACE VIEW redshift_sim.svv_tables AS SELECT "
                          "table_catalog::text, table_schema::text, table_name::text, "
                          "table_type::text, NULL::text AS remarks FROM information_schema.tables "
                          "WHERE table_schema <> 'redshift_sim' AND table_name <> 'orders'"))
    engine.dispose()
    names = {t.name for t in backend.connector.read_catalog(include=["public"])}
    assert names == {"customers", "customer_orders"}


@_only("redshift")
def test_session_is_read_only_even_without_the_guard(backend):
    with pytest.raises(UnsafeSQL):
        backend.connector.fetch("INSERT INTO customers (id, name) VALUES (99, 'x')",
                                 limit=10, timeout_s=5)
    count = backend.connector.fetch("SELECT count(*) FROM customers", limit=10, timeout_s=5)
    assert count.table.column(0).to_pylist() == [25]
    assert count.db_types == ("int8",)
