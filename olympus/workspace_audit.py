"""The audit half of Workspace: one append-only row per action (who, where, what, how it went),
written in core so the app, the agent and the CLI leave the same trail."""

from __future__ import annotations

import functools
import inspect
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping

from olympus.store_audit import AuditEntry, AuditFilter, AuditLog

if TYPE_CHECKING:
    from olympus.store import Store
    from olympus.teams import Principal

_depth = threading.local()  # audited calls made inside another audited call are not recorded


class Audit:
    """Mixed into Workspace: `store`, `owner` and `principal` come from it."""

    store: "Store"
    owner: str
    principal: "Principal"

    def audit(self, action: str, *, status: str, connection: Any = None, sql: str | None = None,
              question: str | None = None, rows: int | None = None, bytes: int | None = None,
              elapsed_ms: float | None = None, detail: str | None = None) -> None:
        """Append one row for this principal's user and space (connection: a record or an id)."""
        AuditLog(self.store).append(**self.audit_fields(
            action, status=status, connection=connection, sql=sql, question=question, rows=rows,
            bytes=bytes, elapsed_ms=elapsed_ms, detail=detail))

    def audit_row(self, action: str, **fields: Any) -> dict[str, Any]:
        """The row audit() would append, for a write that carries it (Store.log_query)."""
        from olympus.store_audit import row_values

        return row_values(**self.audit_fields(action, **fields))

    def audit_fields(self, action: str, *, status: str, connection: Any = None,
                     sql: str | None = None, question: str | None = None,
                     rows: int | None = None, bytes: int | None = None,
                     elapsed_ms: float | None = None, detail: str | None = None
                     ) -> dict[str, Any]:
        connection_id = getattr(connection, "id", connection)
        return dict(user=self.principal.user, space=self.owner, action=action, status=status,
                    connection_id=None if connection_id is None else str(connection_id),
                    sql=sql, question=question, rows=rows, bytes=bytes,
                    elapsed_ms=None if elapsed_ms is None else round(float(elapsed_ms), 1),
                    detail=detail)

    def audit_ask(self, record: Any, answer: Any, *, elapsed_ms: float) -> None:
        """One row per question the agent answered (or gave up on); its queries have their own."""
        result = answer.result
        self.audit("ask", status="ok" if answer.error is None else status_of(answer.error),
                   connection=record, sql=answer.sql, question=answer.question,
                   rows=None if result is None else result.row_count,
                   bytes=None if result is None else result_bytes(result.df),
                   elapsed_ms=elapsed_ms,
                   detail=None if answer.error is None else error_text(answer.error))

    def activity(self, *, user: str | None = None, connection: str | None = None,
                 action: str | None = None, status: str | None = None,
                 since: datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The space's audit rows, newest first (admins only); connection: a name or an id."""
        self.principal.require("members")
        connection_id = None
        if connection:
            known = {r.name: r.id for r in self.store.list_connections(self.owner)}
            connection_id = known.get(connection, connection)
        return AuditLog(self.store).entries(AuditFilter(
            space=self.owner, user=user or None, connection_id=connection_id,
            action=action or None, status=status or None, since=since, limit=limit))

    def activity_users(self) -> list[str]:
        self.principal.require("members")
        return AuditLog(self.store).users(self.owner)


def audited(action: str, detail: Callable[[Mapping[str, Any]], str | None] | None = None):
    """Decorate a Workspace method: one audit row per outermost call — ok (or failed, for a
    connection test that failed), refused (not allowed) or error — with its connection."""
    def wrap(method: Callable) -> Callable:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def call(self, *args: Any, **kwargs: Any) -> Any:
            depth = getattr(_depth, "n", 0)
            if depth:
                return method(self, *args, **kwargs)
            arguments = signature.bind(self, *args, **kwargs).arguments
            about = detail(arguments) if detail else arguments.get("name")
            _depth.n = depth + 1
            try:
                out = method(self, *args, **kwargs)
            except Exception as exc:
                self.audit(action, status=status_of(exc), detail=_joined(about, exc))
                raise
            finally:
                _depth.n = depth
            status, connection = _outcome(out)
            self.audit(action, status=status, connection=connection, detail=about)
            return out
        return call
    return wrap


def status_of(exc: BaseException) -> str:
    """refused: a rule said no (role, guard, limit, risky credentials); cancelled: someone
    stopped it; error: anything else."""
    from olympus.errors import QueryCancelled, RateLimited, UnsafeSQL
    from olympus.teams import Forbidden

    if isinstance(exc, QueryCancelled):
        return "cancelled"

    refused = (Forbidden, UnsafeSQL, RateLimited)
    try:
        from olympus.read_only import RiskyCredentials

        refused += (RiskyCredentials,)
    except ImportError:  # pragma: no cover - older layouts
        pass
    return "refused" if isinstance(exc, refused) else "error"


def error_text(exc: BaseException) -> str:
    """What went wrong in one line, never a traceback (OlympusError text is already redacted)."""
    from olympus.errors import OlympusError

    if isinstance(exc, OlympusError):
        return f"{exc.title}: {exc.message}"
    return type(exc).__name__


def result_bytes(df: Any) -> int | None:
    """The result's size in memory (Arrow buffers of the DataFrame)."""
    try:
        return int(df.memory_usage(index=False, deep=True).sum())
    except Exception:  # not a DataFrame: no size rather than no audit row
        return None


def edit_detail(arguments: Mapping[str, Any]) -> str:
    """Which settings an edit touched (names only, never values)."""
    changed = sorted((arguments.get("params") or {}).keys())
    changed += [k for k in ("new_name", "expose_data_to_llm", "is_active",
                            "require_read_only_role") if arguments.get(k) is not None]
    cleared = arguments.get("clear_secrets")
    changed += [f"cleared {s}" for s in cleared] if isinstance(cleared, (list, tuple)) else []
    return f"{arguments['name']}: {', '.join(changed) or 'no change'}"


def listed(values: Any) -> str:
    """Names for a detail line; an iterator is left unread (the method still needs it)."""
    if isinstance(values, (list, tuple, set, frozenset)) and values:
        return ", ".join(sorted(map(str, values)))
    return "-"


def _outcome(out: Any) -> tuple[str, Any]:
    """(status, connection record) from what an audited method returned."""
    from olympus.connectors import TestResult
    from olympus.store import ConnectionRecord

    parts = out if isinstance(out, tuple) else (out,)
    record = next((p for p in parts if isinstance(p, ConnectionRecord)), None)
    test = next((p for p in parts if isinstance(p, TestResult)), None)
    saved = not (isinstance(out, tuple) and out and out[0] is None)  # add: test failed, not saved
    failed = (test is not None and not test.ok) or not saved
    return ("failed" if failed else "ok"), record


def _joined(about: str | None, exc: BaseException) -> str:
    return f"{about}: {error_text(exc)}" if about else error_text(exc)
