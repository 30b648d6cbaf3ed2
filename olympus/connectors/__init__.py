"""Connector registry: a new database is one module that subclasses its nearest relative, plus one
line here. Types, aliases, dialects and policies are read from the classes themselves."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any, Mapping

from olympus.connectors.base import Connector, Fetched, Field, TestResult
from olympus.connectors.traits import UNKNOWN_POLICY, SQLPolicy
from olympus.errors import UnsupportedConnector

# "module:Class", in the order forms and docs list them. Driver imports inside each module are
# lazy, so importing every class is cheap and a missing driver only breaks its own type.
CLASSES: tuple[str, ...] = (
    "olympus.connectors.postgres:Postgres",
    "olympus.connectors.redshift:Redshift",
    "olympus.connectors.snowflake:Snowflake",
    "olympus.connectors.bigquery:BigQuery",
    "olympus.connectors.duckdb:DuckDB",
    "olympus.connectors.sqlite:SQLite",
    "olympus.connectors.mysql:MySQL",
)

__all__ = ["Connector", "Fetched", "Field", "TestResult", "CLASSES", "all_classes",
           "connector_class", "create_connector", "dialect_class", "sql_policy",
           "supported_types"]


@cache
def all_classes() -> tuple[type[Connector], ...]:
    """Every registered connector class, in registry order."""
    found = []
    for ref in CLASSES:
        module, _, name = ref.partition(":")
        found.append(getattr(import_module(module), name))
    return tuple(found)


def supported_types() -> list[str]:
    return [cls.type for cls in all_classes()]


@cache
def _by_name() -> Mapping[str, type[Connector]]:
    names: dict[str, type[Connector]] = {}
    for cls in all_classes():
        for name in (cls.type, *cls.aliases):
            names.setdefault(name.lower(), cls)
    return names


def connector_class(type_: str) -> type[Connector]:
    """Resolve a type name (or alias) to its class; unknown types list the supported ones."""
    cls = _by_name().get(str(type_).lower())
    if cls is None:
        raise UnsupportedConnector(
            f"Unknown connection type {type_!r}. Supported: {', '.join(supported_types())}.")
    return cls


def dialect_class(name: str) -> type[Connector] | None:
    """The class whose sqlglot dialect (or type, or alias) is `name`; None when nobody declares it."""
    key = str(name).lower()
    return next((c for c in all_classes() if c.dialect == key), None) or _by_name().get(key)


def sql_policy(dialect: str) -> SQLPolicy:
    """The guard's policy for a dialect; a dialect no connector declares gets the fail-closed one."""
    cls = dialect_class(dialect)
    return cls.sql_policy if cls is not None else UNKNOWN_POLICY


def create_connector(type_: str, params: Mapping[str, Any] | None = None, **options) -> Connector:
    """Factory used by the store, the CLI and the UI."""
    return connector_class(type_)(params, **options)
