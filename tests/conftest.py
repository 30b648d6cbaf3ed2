"""Shared fixtures: real services started once per test session."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.services import start_postgres, unavailable


@pytest.fixture(scope="session")
def pg_server_url():
    """Admin URL of a real PostgreSQL for the whole session."""
    try:
        url, server = start_postgres()
    except Exception as exc:  # pragma: no cover - depends on the machine
        unavailable("PostgreSQL", repr(exc))
    yield url
    if server is not None:
        server.cleanup()


@pytest.fixture()
def pg_url(pg_server_url):
    """A fresh, empty database per test (libpq-style URL), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_sqlalchemy(pg_server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _with_database(pg_server_url, name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sqlalchemy(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)
