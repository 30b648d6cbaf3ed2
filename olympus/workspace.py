"""One owner's view of Olympus: the single facade the CLI and the Streamlit pages both call."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from olympus.catalog import CacheKey, CatalogCache
from olympus.config import Settings
from olympus.connectors import Connector, TestResult, connector_class
from olympus.memo import Memo
from olympus.notebooks.facade import Notebooks
from olympus.ops.facade import Operations
from olympus.semantic.facade import Semantic
from olympus.store import ConnectionRecord, NameTaken, NotFound, Store
from olympus.teams import LOCAL_USER, Principal
from olympus.workspace_access import Access
from olympus.workspace_audit import Audit, audited, edit_detail
from olympus.workspace_demo import Demo
from olympus.workspace_policy import Policy
# ALL_ROWS, closed_under_us and _version: still importable from here, as callers do
from olympus.workspace_sql import ALL_ROWS, Queries, _version, closed_under_us  # noqa: F401

if TYPE_CHECKING:
    from olympus.runner import RateLimiter

log = logging.getLogger(__name__)


# (owner, connection_id, version, build) -> Connector. The UI passes a st.cache_resource-backed
# one; it may also offer `invalidate(owner, connection_id)` to drop a pool on edit/delete.
ConnectorFactory = Callable[[str, str, str, Callable[[], Connector]], Connector]


class Shared:
    """What outlives one Workspace (a Streamlit rerun builds a new one): schema and index
    caches, and the rate limits (counted in the store or Redis, so once for every replica and
    CLI process). One per process and store: the UI keeps it in st.cache_resource, the CLI makes
    one per run. Every key inside holds the owner, so owners never share an entry."""

    def __init__(self, store: Store, settings: Settings) -> None:
        from olympus.limits import limits_for
        from olympus.notebooks.cache import result_cache

        self.limits = limits_for(store, settings)
        self.catalog = CatalogCache(ttl_s=settings.schema_ttl_s, load=self._load, save=self._save)
        self.indexes = Memo()
        self.synced: set = set()  # (space, secrets file, declarations) already in the store
        self.results = result_cache(settings)  # query results: embedded LRU, Redis or None
        self._store = store

    def _load(self, key: CacheKey):
        try:
            return self._store.load_schema(key.owner, key.connection_id)
        except NotFound:
            return None

    def _save(self, key: CacheKey, snapshot) -> None:
        self._store.save_schema(key.owner, key.connection_id, snapshot)


class Workspace(Queries, Policy, Access, Audit, Demo, Notebooks, Semantic, Operations):
    """Connections, schema, SQL and the demo for one owner; never crosses to another owner."""

    def __init__(self, store: Store, owner: str | None = None, *,
                 settings: Settings | None = None,
                 connector_factory: ConnectorFactory | None = None,
                 shared: Shared | None = None,
                 limiter: "RateLimiter | None" = None,
                 principal: Principal | None = None) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.owner = principal.space if principal else owner or self.settings.owner
        # without sign-in (and for the CLI's operator): the admin of this space
        self.principal = principal or Principal(LOCAL_USER, self.owner, "admin")
        self.connector_factory = connector_factory
        self.shared = shared or Shared(store, self.settings)
        self.catalog = self.shared.catalog
        self.limiter = limiter  # a per-process RateLimiter instead of the shared limits (tests)
        self._connectors: dict[tuple[str, str], Connector] = {}
        self._lock = threading.Lock()
        self.demo_built = False  # True after ensure_demo() generated the database file

    def __repr__(self) -> str:
        return f"Workspace(owner={self.owner!r}, store={self.store!r})"

    # ---- connections --------------------------------------------------------------------------
    def connections(self) -> list[ConnectionRecord]:
        """The space's connections this user may see (grants)."""
        self.principal.require("view")
        self.sync_managed()
        return self.visible(self.store.list_connections(self.owner))

    def get(self, name: str) -> ConnectionRecord:
        self.principal.require("view")
        self.sync_managed()
        return self.checked(self.store.get(self.owner, name))

    @audited("connection_add", lambda a: f"{a['name']} ({a['type']})")
    def add_connection(self, name: str, type: str, params: Mapping[str, Any], *,
                       test_first: bool = True, save_untested: bool = False,
                       expose_data_to_llm: bool = False,
                       require_read_only_role: bool | None = None
                       ) -> tuple[ConnectionRecord | None, TestResult | None]:
        """Test, then save only a working connection (unless save_untested); nothing half-saved.
        require_read_only_role (default: on when sign-in is on) refuses risky credentials."""
        self.principal.require("manage")
        cls = connector_class(type)
        clean = cls.validate(dict(params))
        self._ensure_free(name)
        self.store.check_key()
        result = self.test_params(cls.type, clean) if test_first else None
        if result is not None and not result.ok and not save_untested:
            return None, result
        required = self._requires_read_only(require_read_only_role)
        if required and result is not None:
            self._refuse_risky(name, cls, result.risky)
        record = self.store.add(self.owner, name, cls.type, clean, test=result,
                                expose_data_to_llm=expose_data_to_llm,
                                require_read_only_role=required)
        log.info("Saved connection %r (%s)", record.name, record.type)
        return record, result

    @audited("connection_test", lambda a: a.get("existing") or f"unsaved {a['type']}")
    def test_params(self, type: str, params: Mapping[str, Any], *,
                    existing: str | None = None) -> TestResult:
        """Try form values without saving; editing `existing`, blank secrets mean the stored ones."""
        self.principal.require("manage")
        cls = connector_class(type)
        merged = cls.validate(dict(params)) if existing is None else \
            self._edited_params(cls, existing, params)
        probe = cls(merged, statement_timeout_s=self.settings.statement_timeout_s)
        try:
            return probe.test()
        finally:
            probe.dispose()

    def _edited_params(self, cls: type[Connector], existing: str,
                       params: Mapping[str, Any]) -> dict[str, Any]:
        """Form values over the stored ones (blank secrets = saved), refusing to send saved
        secrets to a changed host/port/URL/account (the test would hand them over)."""
        from olympus.store import check_credentials_stay

        record = self.editable(existing)
        if connector_class(record.type) is not cls:
            from olympus.errors import ConfigError

            raise ConfigError("A connection's type can't change.", fields=("type",),
                              suggestion="Add a new connection of the other type instead.")
        stored = self.store.connector(self.owner, record.id).params
        blank = {k for k in cls.secret_fields() if params.get(k) in (None, "")}
        merged = cls.validate({**stored, **{k: v for k, v in params.items() if k not in blank}})
        check_credentials_stay(cls, stored, merged, params)
        return merged

    @audited("connection_test")
    def test_connection(self, name: str) -> TestResult:
        record = self.get(name)
        result = self.connector(record.id).test()
        self.store.record_test(self.owner, record.id, result)
        return result

    @audited("connection_edit", edit_detail)
    def update_connection(self, name: str, *, new_name: str | None = None,
                          params: Mapping[str, Any] | None = None,
                          expose_data_to_llm: bool | None = None,
                          is_active: bool | None = None,
                          clear_secrets: Iterable[str] = (),
                          require_read_only_role: bool | None = None) -> ConnectionRecord:
        """Blank secrets keep the stored ones, None removes a setting, `clear_secrets` removes
        saved secrets; a parameter change drops pools and cached schema. A connection that
        requires a read-only role refuses credentials that tested risky."""
        self.editable(name)
        clear_secrets = tuple(clear_secrets)
        checked = self._check_update(name, params, require_read_only_role)
        record = self.store.update(self.owner, name, name=new_name, params=params,
                                   expose_data_to_llm=expose_data_to_llm, is_active=is_active,
                                   clear_secrets=clear_secrets,
                                   require_read_only_role=require_read_only_role)
        if params is not None or clear_secrets:
            self._drop(record.id)
            if checked is not None and record.last_test is None:  # the new credentials' test
                self.store.record_test(self.owner, record.id, checked)
                record = self.get(record.id)
        return record

    @audited("connection_delete")
    def remove_connection(self, name: str) -> ConnectionRecord:
        self.editable(name)
        record = self.store.remove(self.owner, name)
        self._drop(record.id)
        _forget_dependents(self.store, record.id)
        return record

    def connector_class(self, name: str) -> type[Connector]:
        """The class of a connection (its dialect, rules, capabilities) without opening it."""
        return connector_class(self.get(name).type)

    def connector(self, name: "str | ConnectionRecord") -> Connector:
        """A pooled connector for this owner's connection, shared while its record is unchanged;
        secrets are decrypted only when a new one is built. A record already read (and checked)
        by get() saves a second store read."""
        record = name if isinstance(name, ConnectionRecord) else self.get(name)
        version = _version(record)

        def build() -> Connector:
            if record.managed:  # its secrets live in secrets.toml, never in the store
                return self.managed_connector(record)
            return self.store.connector(self.owner, record.id,
                                        statement_timeout_s=self.settings.statement_timeout_s,
                                        max_result_bytes=self.settings.max_result_bytes)

        if self.connector_factory is not None:
            return self.connector_factory(self.owner, record.id, version, build)
        with self._lock:
            key = (record.id, version)
            for old in [k for k in self._connectors if k[0] == record.id and k != key]:
                self._connectors.pop(old).dispose()
            if key not in self._connectors:
                self._connectors[key] = build()
            return self._connectors[key]

    def close(self) -> None:
        """Dispose every pool this Workspace opened itself."""
        with self._lock:
            for connector in self._connectors.values():
                connector.dispose()
            self._connectors.clear()

    # ---- schema -------------------------------------------------------------------------------
    def schema(self, name: str, *, refresh: bool = False,
               progress: Callable[[str, float], None] | None = None):
        """Cached snapshot (memory, then store) within the TTL; otherwise introspect and save."""
        record = self.get(name)
        key = CacheKey(self.owner, record.id, _version(record))
        if not refresh:
            hit = self.catalog.peek(key)
            if hit is not None:
                return hit
        snapshot = self.catalog.get(key, self.connector(record.id), refresh=True,
                                    progress=progress)
        self._after_refresh(record, snapshot)  # verified queries: stale if what they read is gone
        return snapshot

    def schema_index(self, name: str, snapshot, build: Callable[[], Any]) -> Any:
        """The agent's search index over one snapshot, built once per owner + snapshot."""
        record = self.get(name)
        stamp = getattr(snapshot, "introspected_at", None) or (
            snapshot.get("introspected_at") if isinstance(snapshot, Mapping) else None)
        return self.shared.indexes.get((self.owner, record.id, str(stamp)), build)

    # ---- internals ----------------------------------------------------------------------------
    def _find(self, name: str) -> ConnectionRecord | None:
        return next((r for r in self.connections() if r.name == name), None)

    def _ensure_free(self, name: str) -> None:
        if self._find(str(name).strip()) is not None:
            raise NameTaken.of(name)

    def _drop(self, connection_id: str) -> None:
        """Forget pools and cached schema of one connection (after edit/remove/reset)."""
        with self._lock:
            for key in [k for k in self._connectors if k[0] == connection_id]:
                self._connectors.pop(key).dispose()
        invalidate = getattr(self.connector_factory, "invalidate", None)
        if invalidate is not None:
            invalidate(self.owner, connection_id)
        self.catalog.invalidate(owner=self.owner, connection_id=connection_id)


def _forget_dependents(store: Store, connection_id: str) -> None:
    """A removed connection's descriptions, preview thresholds and health checks go with it."""
    from olympus.ops import ops_store
    from olympus.semantic import layer

    layer.forget(store.engine, connection_id)
    ops_store.forget(store, connection_id)
