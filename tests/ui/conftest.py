"""AppTest fixtures: a private OLYMPUS_HOME per test and a small real PostgreSQL sales database."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from tests.services import ROOT, unavailable

from tests.conftest import PW_ROLE, PW_SECRET as SECRET  # noqa: F401
CLEAN_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY",
             "OLYMPUS_OWNER", "OLYMPUS_MODEL")


@pytest.fixture()
def olympus_home(tmp_path, monkeypatch):
    """A fresh home (store, key, demo) for this test; no LLM key, the default owner."""
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture()
def app(olympus_home):
    """app("pages/3_Ask.py") -> a fresh AppTest of that script (already run once)."""

    def make(path: str = "app.py") -> AppTest:
        return AppTest.from_file(str(ROOT / path), default_timeout=90).run()

    return make


@dataclass(frozen=True)
class SalesDB:
    """Where the test database is, as a person would type it into the form."""

    url: str  # admin URL (trust), for checks from the test itself
    host: str  # socket directory or host name
    port: int
    database: str
    username: str
    password: str
    regions: dict  # region -> total amount, computed from the inserted rows


ORDERS = [("East", 120.50, "2024-01-05"), ("East", 80.00, "2024-02-11"),
          ("West", 200.00, "2024-01-20"), ("West", 55.25, "2024-03-02"),
          ("North", 10.00, "2024-03-15")]


@pytest.fixture()
def sales_db(pg_url, pg_password_role) -> SalesDB:
    """customers + orders (FK, comments) in a fresh database, reachable with a password."""
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL)"))
        conn.execute(text("CREATE TABLE orders (id serial PRIMARY KEY, "
                          "customer_id integer NOT NULL REFERENCES customers(id), "
                          "region text NOT NULL, amount numeric(10,2) NOT NULL, "
                          "ordered_at date NOT NULL)"))
        conn.execute(text("COMMENT ON TABLE orders IS 'One row per customer order.'"))
        conn.execute(text("COMMENT ON COLUMN orders.amount IS 'Order value in USD.'"))
        conn.execute(text("INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')"))
        for i, (region, amount, day) in enumerate(ORDERS):
            conn.execute(text("INSERT INTO orders (customer_id, region, amount, ordered_at) "
                              "VALUES (:c, :r, :a, :d)"),
                         {"c": 1 + i % 2, "r": region, "a": amount, "d": day})
        conn.execute(text("ANALYZE"))
    engine.dispose()
    parsed = make_url(pg_url)
    totals: dict[str, float] = {}
    for region, amount, _ in ORDERS:
        totals[region] = round(totals.get(region, 0.0) + amount, 2)
    return SalesDB(url=pg_url, host=parsed.query.get("host") or parsed.host or "127.0.0.1",
                   port=parsed.port or 5432, database=parsed.database,
                   username=pg_password_role, password=SECRET, regions=totals)


def count_orders(db: SalesDB) -> int:
    engine = create_engine(db.url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM orders")).scalar()
    finally:
        engine.dispose()
