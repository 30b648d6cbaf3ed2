"""Connector registry: a new database is one module that subclasses its nearest relative, plus one
line here. Types, aliases, dialects and policies are read from the classes themselves."""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import import_module
from typing import Any, Iterator, Mapping

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
    return tuple(_each_class())


def _each_class() -> Iterator[type[Connector]]:
    """Registry order, each module imported only when reached: finding PostgreSQL (the first)
    loads no other connector module (a CLI command's start-up)."""
    return (_load(ref) for ref in CLASSES)


@cache
def _load(ref: str) -> type[Connector]:
    module, _, name = ref.partition(":")
    return getattr(import_module(module), name)


def supported_types() -> list[str]:
    return [cls.type for cls in all_classes()]


@lru_cache(maxsize=64)  # every query asks for its record's class; the registry is fixed
def _by_name(key: str) -> type[Connector] | None:
    """The first class whose type or alias is `key` (lower case)."""
    return next((c for c in _each_class()
                 if key in (c.type.lower(), *(a.lower() for a in c.aliases))), None)


def connector_class(type_: str) -> type[Connector]:
    """Resolve a type name (or alias) to its class; unknown types list the supported ones."""
    cls = _by_name(str(type_).lower())
    if cls is None:
        raise UnsupportedConnector(
            f"Unknown connection type {type_!r}. Supported: {', '.join(supported_types())}.")
    return cls


def dialect_class(name: str) -> type[Connector] | None:
    """The class whose sqlglot dialect (or type, or alias) is `name`; None when nobody declares it."""
    key = str(name).lower()
    return next((c for c in _each_class() if c.dialect == key), None) or _by_name(key)


def sql_policy(dialect: str) -> SQLPolicy:
    """The guard's policy for a dialect; a dialect no connector declares gets the fail-closed one."""
    cls = dialect_class(dialect)
    return cls.sql_policy if cls is not None else UNKNOWN_POLICY


def create_connector(type_: str, params: Mapping[str, Any] | None = None, **options) -> Connector:
    """Factory used by the store, the CLI and the UI."""
    return connector_class(type_)(params, **options)
