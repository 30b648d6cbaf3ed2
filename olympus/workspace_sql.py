"""The SQL half of Workspace: run_sql (guard, limits, result cache, retry on a pool closed
under it) and the query log around it, mixed in so the facade stays small."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Mapping

from olympus.catalog import CacheKey
from olympus.connectors import Connector
from olympus.errors import OlympusError, QueryCancelled, UnsafeSQL, map_error
from olympus.store_records import ConnectionRecord, _version
from olympus.workspace_audit import error_text, status_of

if TYPE_CHECKING:
    from olympus.runner import QueryHandle, QueryResult

log = logging.getLogger("olympus.workspace")  # the facade's logger, as before this split

ALL_ROWS = -1  # run_sql(limit=ALL_ROWS): no row limit (whole-result downloads); the byte cap stays


_CLOSED = re.compile(r"connection (is |was |has been )?(already )?closed|closed connection"
                     r"|connection (was )?invalidated|cannot operate on a closed", re.IGNORECASE)


def closed_under_us(exc: BaseException) -> bool:
    """The driver's connection was closed while in use (its pool released elsewhere)."""
    text = f"{getattr(exc, 'detail', None) or ''} {exc}"
    return bool(_CLOSED.search(text))


class Queries:
    """Mixed into Workspace: `store`, `owner`, `principal`, `settings`, `shared`, `catalog`,
    `limiter` and its connection, cache and audit methods come from it."""

    def run_sql(self, name: str, sql: str, *, limit: int | None = None,
                question: str | None = None, handle: "QueryHandle | None" = None,
                source: str | None = None,
                params: Mapping[str, Any] | None = None,
                refresh: bool = False) -> "QueryResult":
        """Guarded, read-only, rate-limited; every attempt (refusals too) lands in the query log
        and the audit log. `handle.cancel()` from another thread stops it on the server.
        `source` (sql | ask | notebook | schedule | mcp | cli) is recorded in the query log.
        `params`: values for `{{name}}` markers, bound by the driver (never pasted in the SQL).
        A result cached within the connection's lifetime is served (cached_at set) unless
        `refresh`; a fresh success is cached (olympus.notebooks.cache)."""
        facts = {"user": self.principal.user, "source": source or ("ask" if question else "sql")}
        started = time.perf_counter()
        self._require_query(sql, question)
        record = self.get(name)
        connector = self.connector(record)  # the record already read: one store read a query
        try:
            slot, cached, result = self._results(connector, record, sql, limit=limit,
                                                 handle=handle, params=params, refresh=refresh)
        except Exception as exc:
            error = self._log_failure(exc, record, connector, sql, question=question,
                                      facts=facts, started=started)
            if error is exc:
                raise
            raise error from None
        self._log_success(result, record, slot=slot, cached=cached, question=question,
                          facts=facts)
        return result

    def _require_query(self, sql: str, question: str | None) -> None:
        """The principal may query; a refusal is audited before it leaves."""
        try:
            self.principal.require("query")
        except Exception as exc:
            self.audit("query", status=status_of(exc), sql=sql, question=question,
                       detail=error_text(exc))
            raise

    def _results(self, connector: Connector, record: ConnectionRecord, sql: str, *,
                 limit: int | None, handle: "QueryHandle | None",
                 params: Mapping[str, Any] | None, refresh: bool) -> tuple:
        """(cache slot, cached result or None, result): the result cache (looked up after the
        visibility check), else the database, once more on a pool closed under the query."""
        slot = None
        try:
            self._require_clean(record)
            slot = self._cache_slot(connector, record, sql, params=params,
                                    limit=limit or self.settings.row_limit)
            cached = None if refresh else self._cache_get(slot, record)
            if cached is not None:
                return slot, cached, cached
            return slot, None, self._run(connector, record, sql, limit=limit, handle=handle,
                                         params=params)
        except Exception as exc:
            if not closed_under_us(exc) or (handle is not None and handle.cancelled):
                raise
        # a pool released by an edit elsewhere closed mid-query: once more, on a fresh one
        log.info("Connection %r was closed during a query; retrying once", record.name)
        fresh = self.connector(record.id)
        try:
            return slot, None, self._run(fresh, record, sql, limit=limit, limited=False,
                                         handle=handle, params=params)
        except Exception as exc:  # mapped here: its text is redacted with this pool's secrets
            error = exc if isinstance(exc, OlympusError) else map_error(
                exc, sql=sql, secrets=fresh.secrets)
            if error is exc:
                raise
            raise error from None

    def _log_failure(self, exc: Exception, record: ConnectionRecord, connector: Connector,
                     sql: str, *, question: str | None, facts: dict,
                     started: float) -> OlympusError:
        """The query log and audit row of a failed attempt; the friendly error to raise."""
        error = exc if isinstance(exc, OlympusError) else map_error(
            exc, sql=sql, secrets=connector.secrets)
        self._add_hint(error, record)
        status = "refused" if isinstance(error, UnsafeSQL) else \
            "cancelled" if isinstance(error, QueryCancelled) else "error"
        self.store.log_query(self.owner, record.id, question=question, sql=sql,
                             status=status, error=f"{error.title}: {error.message}",
                             extra=facts,
                             audit=self.audit_row(
                                 "query", status=status_of(error), connection=record,
                                 sql=sql, question=question, detail=error_text(error),
                                 elapsed_ms=(time.perf_counter() - started) * 1000))
        return error

    def _log_success(self, result: "QueryResult", record: ConnectionRecord, *, slot: Any,
                     cached: "QueryResult | None", question: str | None, facts: dict) -> None:
        """Lineage set once, before anyone sees the result; a fresh result cached with it; the
        query log and audit row written behind the query."""
        reads = (cached.reads if cached is not None else ()) or \
            self._reads(record, result.sql)  # lineage (olympus.semantic); never fails
        object.__setattr__(result, "reads", reads)
        if cached is None and slot is not None:
            self._cache_put(slot, result, record)  # with its lineage: a hit needn't parse
        size = result.nbytes
        self.store.log_query(self.owner, record.id, question=question, sql=result.sql,
                             status="ok", row_count=result.row_count,
                             elapsed_ms=round(result.elapsed_ms, 1), touch_used=True,
                             extra={**facts, "bytes": size,
                                    "cached": True if cached is not None else None,
                                    "scanned_bytes": None if cached is not None
                                    else result.scanned_bytes,
                                    "reads_json": json.dumps(list(reads)) if reads else None},
                             audit=self.audit_row(
                                 "query", status="ok", connection=record, sql=result.sql,
                                 question=question, rows=result.row_count,
                                 bytes=size, elapsed_ms=result.elapsed_ms))

    def _run(self, connector: Connector, record: ConnectionRecord, sql: str, *,
             limit: int | None, limited: bool = True, handle: "QueryHandle | None" = None,
             params: Mapping[str, Any] | None = None) -> "QueryResult":
        from olympus.runner import run_query

        return run_query(connector, sql,
                         limit=None if limit == ALL_ROWS else limit or self.settings.row_limit,
                         timeout_s=self.settings.statement_timeout_s,
                         limiter=(self.limiter or self.shared.limits.bound(self.principal.user))
                         if limited else None, key=record.id, handle=handle, params=params)

    def _add_hint(self, error: OlympusError, record: ConnectionRecord) -> None:
        """An unknown table or column: suggest close names from the cached catalog."""
        from olympus.errors import SQLSyntaxError
        from olympus.hints import did_you_mean

        if not isinstance(error, SQLSyntaxError):
            return
        cached = self.catalog.peek(CacheKey(self.owner, record.id, _version(record)))
        hint = did_you_mean(f"{error.message} {error.detail or ''}", cached)
        if hint:
            error.suggestion = f"{hint} {error.suggestion or ''}".strip()

    def log_event(self, name: str, *, question: str | None, status: str,
                  error: str | None = None, sql: str = "", source: str = "ask") -> None:
        """A query-log line for work that never reached the runner (the agent gave up, the
        engine died estimating it)."""
        record = self.get(name)
        self.store.log_query(self.owner, record.id, question=question, sql=sql, status=status,
                             error=error, extra={"user": self.principal.user, "source": source})

    def query_log(self, *, limit: int = 50, name: str | None = None) -> list:
        connection_id = self.get(name).id if name else None
        return self.store.query_log(self.owner, limit=limit, connection_id=connection_id)
