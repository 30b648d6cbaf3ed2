"""Connector registry: a new database is one module that subclasses its nearest relative."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Mapping

from olympus.connectors.base import Connector, Fetched, Field, TestResult
from olympus.errors import UnsupportedConnector

# type -> "module:Class"; modules import lazily so a missing driver only breaks its own type.
REGISTRY: dict[str, str] = {
    "postgresql": "olympus.connectors.postgres:Postgres",
    "redshift": "olympus.connectors.redshift:Redshift",
    "snowflake": "olympus.connectors.snowflake:Snowflake",
    "bigquery": "olympus.connectors.bigquery:BigQuery",
    "duckdb": "olympus.connectors.duckdb:DuckDB",
    "sqlite": "olympus.connectors.sqlite:SQLite",
}
ALIASES = {"postgres": "postgresql", "supabase": "postgresql", "pg": "postgresql"}

__all__ = ["Connector", "Fetched", "Field", "TestResult", "REGISTRY", "connector_class",
           "create_connector", "supported_types"]


def supported_types() -> list[str]:
    return list(REGISTRY)


def connector_class(type_: str) -> type[Connector]:
    """Resolve a type name (or alias) to its class; unknown types list the supported ones."""
    key = ALIASES.get(str(type_).lower(), str(type_).lower())
    if key not in REGISTRY:
        raise UnsupportedConnector(
            f"Unknown connection type {type_!r}. Supported: {', '.join(REGISTRY)}.")
    module, _, name = REGISTRY[key].partition(":")
    return getattr(import_module(module), name)


def create_connector(type_: str, params: Mapping[str, Any] | None = None, **options) -> Connector:
    """Factory used by the store, the CLI and the UI."""
    return connector_class(type_)(params, **options)
