"""Workspace methods: history across sessions and the result cache (mixed in through
olympus.notebooks.facade)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from olympus.memo import Memo

if TYPE_CHECKING:
    from olympus.connectors import Connector
    from olympus.notebooks.cache import ResultCache, Slot
    from olympus.notebooks.history import HistoryEntry
    from olympus.runner import QueryResult
    from olympus.store import ConnectionRecord

log = logging.getLogger(__name__)
MAX_TTL_S = 30 * 86_400  # a cached result may live at most 30 days


_SLOTS = Memo(1024)  # guarded text -> cache key, per connection version


class HistoryMethods:
    """History across sessions and the result cache for the signed-in user and space
    (self.principal, self.owner)."""

    # ---- history -------------------------------------------------------------------------------
    def history(self, *, search: str | None = None, connection: str | None = None,
                status: str | None = None, limit: int = 50) -> list["HistoryEntry"]:
        """The signed-in user's own past queries and questions in this space, newest first;
        never another user's, never on a connection this user can't see (any more)."""
        from olympus.notebooks import history

        self.principal.require("view")
        status = history.check_status(status)
        connection_id = self.get(connection).id if connection else None
        return history.read(self.store.engine, **self._history_scope(), search=search,
                            connection_id=connection_id, status=status, limit=limit)

    def history_item(self, entry_id: int) -> "HistoryEntry":
        """One of the user's own history entries by id (to open it as a new cell)."""
        from olympus.notebooks import history
        from olympus.store import NotFound

        self.principal.require("view")
        try:
            found = history.read(self.store.engine, **self._history_scope(),
                                 entry_id=int(entry_id), limit=1)
        except (TypeError, ValueError):
            found = []
        if not found:
            raise NotFound(f"No history entry {entry_id!r} of yours in this space.")
        return found[0]

    def _history_scope(self) -> dict[str, Any]:
        self.store.flush()  # the query log is written behind the queries
        visible = {r.id: r.name for r in self.connections()}
        every = {r.id for r in self.store.list_connections(self.owner)}
        return {"space": self.owner, "user": self.principal.user, "names": visible,
                "hidden": every - set(visible)}

    # ---- the result cache ----------------------------------------------------------------------
    @property
    def result_cache(self) -> "ResultCache | None":
        """This process's cache (embedded or Redis), shared by every Workspace on the store."""
        return getattr(self.shared, "results", None)

    def cache_ttl(self, record: "ConnectionRecord") -> int:
        """How long a result of this connection is served from the cache (0: never cached)."""
        return self.settings.cache_ttl_s if record.cache_ttl_s is None else record.cache_ttl_s

    def set_cache_ttl(self, name: str, ttl_s: int | None) -> "ConnectionRecord":
        """An admin sets one connection's cache lifetime: seconds, 0 = never cache, None =
        the default (OLYMPUS_CACHE_TTL, 10 min)."""
        import sqlalchemy as sa

        from olympus.store_db import connections, write

        self.principal.require("manage")
        ttl = _check_ttl(ttl_s)
        record = self.get(name)
        with write(self.store.engine) as conn:
            conn.execute(sa.update(connections).where(connections.c.owner == self.owner,
                                                      connections.c.id == record.id)
                         .values(cache_ttl_s=ttl))
        self.audit("connection_edit", status="ok", connection=record,
                   detail=f"{record.name}: cache lifetime {'default' if ttl is None else ttl}")
        return self.get(record.id)

    def _cache_slot(self, connector: "Connector", record: "ConnectionRecord", sql: str, *,
                    params: Any = None, limit: int | None = None) -> "Slot | None":
        """The cache key of this query (the guard runs first: a refusal is never looked up);
        None when the cache is off or the connection's lifetime is 0."""
        from olympus.guard import check_sql
        from olympus.notebooks.cache import Slot, cache_key, params_text

        ttl = self.cache_ttl(record)
        if self.result_cache is None or ttl <= 0:
            return None
        version = record.updated_at.isoformat()

        def build() -> tuple[str, str]:
            text, bound = (sql, None) if params is None else connector.bind_sql(sql, params)
            clean = check_sql(text, connector.dialect, policy=connector.policy())
            return cache_key(space=self.owner, connection_id=record.id, version=version,
                             sql=clean, dialect=connector.dialect, params=bound or None,
                             limit=limit, max_result_bytes=self.settings.max_result_bytes), clean

        # the same text on the same connection version: the guard passed it already (a refusal
        # raises and is never remembered), so a re-run parses nothing here
        memo = (self.owner, record.id, version, connector.dialect, sql, params_text(params),
                limit, self.settings.max_result_bytes)
        key, clean = _SLOTS.get(memo, build)
        return Slot(key, ttl, clean)

    def _cache_get(self, slot: "Slot | None", record: "ConnectionRecord") -> "QueryResult | None":
        """The cached result of this slot within its lifetime; None on a miss (or any
        trouble reading it: the query then simply runs). A hit still counts against the
        rate limits: they bound queries asked, not only those the database ran."""
        from olympus.notebooks.cache import decode

        cache = self.result_cache
        if slot is None or cache is None:
            return None
        started = time.perf_counter()
        entry = cache.get(slot.key, max_age_s=slot.ttl_s)
        if entry is None:
            return None
        (self.limiter or self.shared.limits.bound(self.principal.user)).acquire(record.id)
        try:
            return decode(entry, elapsed_ms=(time.perf_counter() - started) * 1000,
                          sql=slot.sql, lineage=self._lineage_stamp(record))
        except Exception as exc:  # a corrupt or foreign entry: run the query instead
            log.warning("Ignoring an unreadable cached result (%s)", type(exc).__name__)
            return None

    def _lineage_stamp(self, record: "ConnectionRecord") -> str | None:
        """Which cached catalog a result's lineage was resolved against (None: none yet)."""
        try:
            found = self._cached_catalog(record)  # the same lookup as the lineage itself
        except Exception:  # lineage is a nicety; an unreadable catalog means "none"
            return None
        return None if found is None else str(getattr(found, "introspected_at", None))

    def _cache_put(self, slot: "Slot | None", result: "QueryResult",
                   record: "ConnectionRecord") -> None:
        """Keep a successful result; too large ones (over the per-entry cap) are skipped."""
        from olympus.notebooks.cache import encode

        cache = self.result_cache
        if slot is None or cache is None or (result.nbytes or 0) > cache.max_entry_bytes:
            return
        try:
            blob = encode(result, lineage=self._lineage_stamp(record))
            cache.put(slot.key, blob, ttl_s=slot.ttl_s)
        except Exception as exc:  # a type Arrow IPC can't write: that result isn't cached
            log.warning("Not caching a result (%s: %s)", type(exc).__name__, str(exc)[:200])


def _check_ttl(ttl_s: Any) -> int | None:
    from olympus.errors import ConfigError

    if ttl_s is None or str(ttl_s).strip().lower() in ("", "default", "none"):
        return None
    try:
        ttl = int(str(ttl_s).strip())
    except ValueError:
        ttl = -1
    if not 0 <= ttl <= MAX_TTL_S:
        raise ConfigError(f"A cache lifetime must be 0 to {MAX_TTL_S:,} seconds "
                          f"(got {ttl_s!r}).", title="Bad cache lifetime",
                          fields=("cache_ttl_s",),
                          suggestion="0 turns the cache off for this connection; 'default' "
                                     "uses OLYMPUS_CACHE_TTL (10 minutes).")
    return ttl
