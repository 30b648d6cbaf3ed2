"""The guard's policy as the runner sees it: the class's rules plus functions learned from a real
engine of that dialect (PostgreSQL, DuckDB, SQLite here); other dialects use the class alone."""

from __future__ import annotations

import sqlite3
from typing import Callable

import duckdb

from olympus.connectors import connector_class, create_connector
from olympus.connectors.traits import SQLPolicy


def learned_policies(pg_url: str, tmp_dir) -> Callable[[str], SQLPolicy]:
    """dialect -> the policy a connector of that dialect would hand the guard."""
    duck, lite = tmp_dir / "policy.duckdb", tmp_dir / "policy.sqlite"
    duckdb.connect(str(duck)).close()
    sqlite3.connect(lite).close()
    made = {"postgres": create_connector("postgresql", {"url": pg_url}),
            "redshift": create_connector("redshift", {"url": pg_url}),
            "duckdb": create_connector("duckdb", {"path": str(duck)}),
            "sqlite": create_connector("sqlite", {"path": str(lite)})}
    policies = {dialect: connector.policy() for dialect, connector in made.items()}
    for connector in made.values():
        connector.dispose()
    assert all(p.learned for p in policies.values()), "no functions learned from a real engine"

    def policy(dialect: str) -> SQLPolicy:
        return policies.get(dialect) or connector_class(dialect).sql_policy

    return policy
