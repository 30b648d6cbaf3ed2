"""One owner's view of Olympus: the single facade the CLI and the Streamlit pages both call."""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from olympus.catalog import CacheKey, CatalogCache
from olympus.config import Settings
from olympus.connectors import Connector, TestResult, connector_class
from olympus.errors import OlympusError, UnsafeSQL, map_error
from olympus.store import ConnectionRecord, NameTaken, NotFound, Store

if TYPE_CHECKING:
    from olympus.runner import QueryResult, RateLimiter

log = logging.getLogger(__name__)

DEMO_NAME = "Demo"
DEMO_OFFERED = "demo_offered"  # owner flag: the first start created the demo once
DEMO_MARK = "demo:{id}"  # owner flag: this connection is the managed demo (kept across renames)
DEMO_TYPE = "duckdb"

# (owner, connection_id, fingerprint, build) -> Connector. The UI passes a st.cache_resource-backed
# one; it may also offer `invalidate(owner, connection_id)` to drop a pool on edit/delete.
ConnectorFactory = Callable[[str, str, str, Callable[[], Connector]], Connector]

_LIMITERS: dict[int, "RateLimiter"] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(per_minute: int) -> "RateLimiter":
    """One process-wide limiter per rate, so new Workspace objects can't reset the count."""
    from olympus.runner import RateLimiter

    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(per_minute, RateLimiter(per_minute, 60.0))


_CLOSED = re.compile(r"connection (is |was |has been )?(already )?closed|closed connection"
                     r"|connection (was )?invalidated|cannot operate on a closed", re.IGNORECASE)


def closed_under_us(exc: BaseException) -> bool:
    """The driver's connection was closed while in use (its pool released elsewhere)."""
    text = f"{getattr(exc, 'detail', None) or ''} {exc}"
    return bool(_CLOSED.search(text))


class Workspace:
    """Connections, schema, SQL and the demo for one owner; never crosses to another owner."""

    def __init__(self, store: Store, owner: str | None = None, *,
                 settings: Settings | None = None,
                 connector_factory: ConnectorFactory | None = None,
                 catalog: CatalogCache | None = None,
                 limiter: "RateLimiter | None" = None) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.owner = owner or self.settings.owner
        self.connector_factory = connector_factory
        self.catalog = catalog or CatalogCache(ttl_s=self.settings.schema_ttl_s,
                                               load=self._load_schema, save=self._save_schema)
        self.limiter = limiter or shared_limiter(self.settings.rate_limit_per_min)
        self._connectors: dict[tuple[str, str], Connector] = {}
        self._lock = threading.Lock()
        self.demo_built = False  # True after ensure_demo() generated the database file

    def __repr__(self) -> str:
        return f"Workspace(owner={self.owner!r}, store={self.store!r})"

    # ---- connections --------------------------------------------------------------------------
    def connections(self) -> list[ConnectionRecord]:
        return self.store.list_connections(self.owner)

    def get(self, name: str) -> ConnectionRecord:
        return self.store.get(self.owner, name)

    def add_connection(self, name: str, type: str, params: Mapping[str, Any], *,
                       test_first: bool = True, save_untested: bool = False,
                       expose_data_to_llm: bool = False
                       ) -> tuple[ConnectionRecord | None, TestResult | None]:
        """Test, then save only a working connection (unless save_untested); nothing half-saved."""
        cls = connector_class(type)
        clean = cls.validate(dict(params))
        self._ensure_free(name)
        self.store.check_key()
        result = self.test_params(cls.type, clean) if test_first else None
        if result is not None and not result.ok and not save_untested:
            return None, result
        record = self.store.add(self.owner, name, cls.type, clean, test=result,
                                expose_data_to_llm=expose_data_to_llm)
        log.info("Saved connection %r (%s)", record.name, record.type)
        return record, result

    def test_params(self, type: str, params: Mapping[str, Any], *,
                    existing: str | None = None) -> TestResult:
        """Try form values without saving; editing `existing`, blank secrets mean the stored ones."""
        cls = connector_class(type)
        merged = dict(params)
        if existing is not None:
            stored = self.store.connector(self.owner, existing).params
            blank = {k for k in cls.secret_fields() if params.get(k) in (None, "")}
            merged = {**stored, **{k: v for k, v in params.items() if k not in blank}}
        probe = cls(cls.validate(merged), statement_timeout_s=self.settings.statement_timeout_s)
        try:
            return probe.test()
        finally:
            probe.dispose()

    def test_connection(self, name: str) -> TestResult:
        record = self.get(name)
        result = self.connector(record.id).test()
        self.store.record_test(self.owner, record.id, result)
        return result

    def update_connection(self, name: str, *, new_name: str | None = None,
                          params: Mapping[str, Any] | None = None,
                          expose_data_to_llm: bool | None = None,
                          is_active: bool | None = None,
                          clear_secrets: Iterable[str] = ()) -> ConnectionRecord:
        """Blank secrets keep the stored ones, None removes a setting, `clear_secrets` removes
        saved secrets; a parameter change drops pools and cached schema."""
        clear_secrets = tuple(clear_secrets)
        record = self.store.update(self.owner, name, name=new_name, params=params,
                                   expose_data_to_llm=expose_data_to_llm, is_active=is_active,
                                   clear_secrets=clear_secrets)
        if params is not None or clear_secrets:
            self._drop(record.id)
        return record

    def remove_connection(self, name: str) -> ConnectionRecord:
        record = self.store.remove(self.owner, name)
        self._drop(record.id)
        return record

    def connector(self, name: str) -> Connector:
        """A pooled connector for this owner's connection (shared while its parameters hold)."""
        record = self.get(name)
        fresh = self.store.connector(self.owner, record.id,
                                     statement_timeout_s=self.settings.statement_timeout_s)
        fingerprint = fresh.fingerprint()
        if self.connector_factory is not None:
            return self.connector_factory(self.owner, record.id, fingerprint, lambda: fresh)
        with self._lock:
            key = (record.id, fingerprint)
            stale = [k for k in self._connectors if k[0] == record.id and k != key]
            for old in stale:
                self._connectors.pop(old).dispose()
            return self._connectors.setdefault(key, fresh)

    def close(self) -> None:
        """Dispose every pool this Workspace opened itself."""
        with self._lock:
            for connector in self._connectors.values():
                connector.dispose()
            self._connectors.clear()

    # ---- schema -------------------------------------------------------------------------------
    def schema(self, name: str, *, refresh: bool = False,
               progress: Callable[[str, float], None] | None = None) -> dict[str, Any]:
        """Cached snapshot (memory, then store) within the TTL; otherwise introspect and save."""
        record = self.get(name)
        connector = self.connector(record.id)
        key = CacheKey(self.owner, record.id, connector.fingerprint())
        return self.catalog.get(key, connector, refresh=refresh, progress=progress)

    def _load_schema(self, key: CacheKey) -> dict | None:
        try:
            return self.store.load_schema(key.owner, key.connection_id)
        except NotFound:
            return None

    def _save_schema(self, key: CacheKey, snapshot: dict) -> None:
        self.store.save_schema(key.owner, key.connection_id, snapshot)

    # ---- SQL ----------------------------------------------------------------------------------
    def run_sql(self, name: str, sql: str, *, limit: int | None = None,
                question: str | None = None) -> "QueryResult":
        """Guarded, read-only, rate-limited; every attempt (refusals too) lands in the query log."""
        record = self.get(name)
        connector = self.connector(record.id)
        try:
            try:
                result = self._run(connector, record, sql, limit=limit)
            except Exception as exc:
                if not closed_under_us(exc):
                    raise
                # a pool released by an edit elsewhere closed mid-query: once more, on a fresh one
                log.info("Connection %r was closed during a query; retrying once", record.name)
                connector = self.connector(record.id)
                result = self._run(connector, record, sql, limit=limit, limited=False)
        except Exception as exc:
            error = exc if isinstance(exc, OlympusError) else map_error(
                exc, sql=sql, secrets=connector.secrets)
            status = "refused" if isinstance(error, UnsafeSQL) else "error"
            self.store.log_query(self.owner, record.id, question=question, sql=sql,
                                 status=status, error=f"{error.title}: {error.message}")
            if error is exc:
                raise
            raise error from None
        self.store.log_query(self.owner, record.id, question=question, sql=result.sql,
                             status="ok", row_count=result.row_count,
                             elapsed_ms=round(result.elapsed_ms, 1))
        self.store.touch_used(self.owner, record.id)
        return result

    def _run(self, connector: Connector, record: ConnectionRecord, sql: str, *,
             limit: int | None, limited: bool = True) -> "QueryResult":
        from olympus.runner import run_query

        return run_query(connector, sql, limit=limit or self.settings.row_limit,
                         timeout_s=self.settings.statement_timeout_s,
                         limiter=self.limiter if limited else None, key=(self.owner, record.id))

    def query_log(self, *, limit: int = 50, name: str | None = None) -> list:
        connection_id = self.get(name).id if name else None
        return self.store.query_log(self.owner, limit=limit, connection_id=connection_id)

    # ---- demo ---------------------------------------------------------------------------------
    def is_first_run(self) -> bool:
        """The demo was never offered to this owner and there are no connections yet: the home
        page creates the demo. Deleting the demo later doesn't make it a first run again."""
        return not self.store.has_flag(self.owner, DEMO_OFFERED) and not self.connections()

    def offer_demo(self) -> ConnectionRecord | None:
        """On the real first start create the demo (once per owner, ever); else None."""
        if self.store.has_flag(self.owner, DEMO_OFFERED):
            return None
        if self.connections():  # started without it (CLI, older store): don't add one later
            self.store.set_flag(self.owner, DEMO_OFFERED)
            return None
        return self.ensure_demo()

    def is_demo(self, record: ConnectionRecord) -> bool:
        """The managed demo, by a mark stored with the owner: a renamed demo is still the demo."""
        return self.store.has_flag(self.owner, DEMO_MARK.format(id=record.id))

    def ensure_demo(self, *, reset: bool = False) -> ConnectionRecord:
        """Build the demo file if missing (or on reset) and register it; touches nothing else."""
        from olympus.demo import build_demo

        path = str(self.settings.demo_path)
        existing = self._demo_record(path)
        self.demo_built = False
        if reset or not self.settings.demo_path.exists():
            if existing is not None:
                self._drop(existing.id)  # DuckDB keeps files open: release before replacing
            info = build_demo(path)
            self.demo_built = True
            log.info("Built the demo database at %s in %.1f s", info.path, info.seconds)
        if existing is None:
            record, _ = self.add_connection(DEMO_NAME, DEMO_TYPE, {"path": path},
                                            save_untested=True)
            self.store.set_flag(self.owner, DEMO_MARK.format(id=record.id))
            self.store.set_flag(self.owner, DEMO_OFFERED)
            return record
        if self.demo_built:
            self.store.forget_schema(self.owner, existing.id)
            self.test_connection(existing.id)
        return self.get(existing.id)

    def _demo_record(self, path: str) -> ConnectionRecord | None:
        """The marked demo; an unmarked one (older store, or a crash before the mark) is adopted
        when it is named, typed and placed like the demo. Another connection on its name: error."""
        records = self.connections()
        marked = next((r for r in records if self.is_demo(r)), None)
        named = next((r for r in records if r.name == DEMO_NAME), None)
        if marked is not None or named is None:
            return marked
        if (named.type, named.params.get("path")) != (DEMO_TYPE, path):
            from olympus.errors import ConfigError

            raise ConfigError(f"A connection named {DEMO_NAME!r} already exists and is not the "
                              "demo database.", title="Name already used",
                              suggestion=f"Rename that connection to free the name {DEMO_NAME!r}.")
        self.store.set_flag(self.owner, DEMO_MARK.format(id=named.id))
        return named

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
