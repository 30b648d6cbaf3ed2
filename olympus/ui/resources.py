"""Cached resources, always keyed by owner: the store, pooled connectors and schema catalogs.

Rules that keep one user's data away from another (streamlit#7709 / #14077):
- every cache key starts with the owner (the space), and the space comes from the server side
  (settings, or the signed-in user's membership checked by olympus.ui.identity), never from a
  widget alone; what one user of a space may see (grants) is checked by Workspace before any
  cached pool or catalog is reached, so pools and catalogs are shared per space, not per user;
- query results are never cached globally; they live in the session (olympus.ui.state);
- secrets are never part of a key: connectors are keyed by the connection record's version (its
  updated_at), read without decrypting anything.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Callable

import streamlit as st

from olympus.catalog import Catalog
from olympus.config import Settings
from olympus.connectors import Connector
from olympus.store import ConnectionRecord, Store
from olympus.workspace import Shared, Workspace

SCHEMA_TTL_S = 6 * 3600  # memory copy; the store keeps the snapshot (24 h TTL) across restarts


# ---- settings ------------------------------------------------------------------------------
def secrets_overrides() -> dict[str, Any]:
    """Top-level values of .streamlit/secrets.toml (same names as the environment variables)."""
    try:
        return {k: v for k, v in st.secrets.to_dict().items() if not isinstance(v, dict)}
    except Exception:  # no secrets file: the environment alone decides
        return {}


def settings() -> Settings:
    """Settings for this run: environment, then Streamlit secrets."""
    return Settings.from_env(overrides=secrets_overrides())


# ---- store ----------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, on_release=lambda store: store.dispose())
def _store(store_url: str, home: str, keys_digest: str, _settings: Settings) -> Store:
    return Store.from_settings(_settings)


def store(config: Settings) -> Store:
    """One Store (engine pool) per store URL, home and key set; keys enter the key as a digest."""
    digest = hashlib.sha256("\n".join(config.secret_keys).encode()).hexdigest()[:16]
    return _store(config.store_url, str(config.home), digest, config)


# ---- pooled connectors ----------------------------------------------------------------------
def _release(connector: Connector) -> None:
    connector.dispose()


# No max_entries: an eviction would dispose a pool another session may be querying right now.
# The cache stays small without one: a pool per (owner, connection, current fingerprint); an edit
# or delete releases its old pool (CachedConnectors), and Workspace.run_sql retries once on a
# connection closed mid-query by such a release.
@st.cache_resource(show_spinner=False, on_release=_release)
def _pooled(owner: str, connection_id: str, fingerprint: str,
            _build: Callable[[], Connector]) -> Connector:
    return _build()


class CachedConnectors:
    """Workspace connector factory: one pool per (owner, connection, fingerprint), shared by
    every session of that owner; a new fingerprint (edited parameters) releases the old pool."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __call__(self, owner: str, connection_id: str, fingerprint: str,
                 build: Callable[[], Connector]) -> Connector:
        with self._lock:
            previous = self._current.get((owner, connection_id))
            self._current[(owner, connection_id)] = fingerprint
        if previous is not None and previous != fingerprint:
            _pooled.clear(owner, connection_id, previous, None)
        return _pooled(owner, connection_id, fingerprint, build)

    def invalidate(self, owner: str, connection_id: str) -> None:
        """Edit or delete: dispose the connection's pool (on_release) and forget its schema."""
        with self._lock:
            fingerprint = self._current.pop((owner, connection_id), None)
        if fingerprint is not None:
            _pooled.clear(owner, connection_id, fingerprint, None)
        # cached snapshots need no clearing: their keys hold the record's introspected_at, which
        # an edit resets in the store, so only this connection's next read misses


CONNECTORS = CachedConnectors()


@st.cache_resource(show_spinner=False, on_release=lambda monitor: monitor.stop())
def _health_monitor(store_url: str, home: str, _store: Store):
    from olympus.ops.health import Monitor

    return Monitor(_store)


def health_monitor(config: Settings) -> None:
    """Start the connection health checks once per process (every minute, for connections used
    in the last 15 minutes; replicas share the work through the store)."""
    _health_monitor(config.store_url, str(config.home), store(config))


@st.cache_resource(show_spinner=False)
def _shared(store_url: str, home: str, keys_digest: str, _store: Store, _settings: Settings) -> Shared:
    """Rate limits and schema/index caches that outlive a rerun (their keys hold the owner)."""
    return Shared(_store, _settings)


def workspace(config: Settings | None = None, owner: str | None = None) -> Workspace:
    """This session's Workspace for the signed-in principal (olympus.ui.identity decides who;
    an anonymous visitor gets the sign-in screen and the page stops). `owner` names a space
    directly for local-mode callers. Cheap per run; pools, limits and schema are shared."""
    from olympus.ui import identity

    config = config or settings()
    digest = hashlib.sha256("\n".join(config.secret_keys).encode()).hexdigest()[:16]
    the_store = store(config)
    who = None if owner is not None else identity.gate(config)
    ws = Workspace(the_store, owner, settings=config, principal=who,
                   connector_factory=CONNECTORS,
                   shared=_shared(config.store_url, str(config.home), digest, the_store, config))
    identity.audit_sign_in(ws)
    return ws


# ---- schema catalogs ------------------------------------------------------------------------
def _stamp(record: ConnectionRecord) -> str:
    return record.introspected_at.isoformat() if record.introspected_at else ""


# cache_resource, not cache_data: a Catalog is immutable, so every session of its owner may share
# the one object (no pickle round trip of 10^5 columns per rerun); the owner is in the key.
@st.cache_resource(ttl=SCHEMA_TTL_S, max_entries=64, show_spinner=False)
def _snapshot(owner: str, connection_id: str, introspected_at: str, _ws: Workspace) -> Catalog:
    return _ws.schema(connection_id)


def snapshot(ws: Workspace, record: ConnectionRecord) -> Catalog:
    """The schema catalog, cached per owner + id + introspected_at."""
    if not record.introspected_at:  # first look: introspect, then later runs hit the cache
        return ws.schema(record.id)
    return _snapshot(ws.owner, record.id, _stamp(record), ws)


def forget_schema_cache() -> None:
    """After a refresh: the next read builds from the new catalog."""
    _snapshot.clear()
