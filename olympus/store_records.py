"""What the store hands out (records, log entries, its errors) and the row helpers behind them,
kept apart so the Store facade stays small."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa

from olympus.catalog import Catalog
from olympus.errors import ConfigError, OlympusError


class NotFound(OlympusError):
    kind, title = "not_found", "Not found"
    suggestion = "Check the name; list connections to see what exists."


class NameTaken(ConfigError):
    """This owner already has a connection with that name (shown at the form's name field)."""

    title = "Name already used"
    suggestion = "Pick another name."

    @classmethod
    def of(cls, name: str) -> "NameTaken":
        return cls(f"A connection named {str(name).strip()!r} already exists.")


@dataclass(frozen=True)
class ConnectionRecord:
    """What callers see of a connection: never a secret, only which secret fields are set."""

    id: str
    owner: str
    name: str
    type: str
    params: Mapping[str, Any]
    secret_fields_set: tuple[str, ...]
    is_active: bool
    last_tested_at: datetime | None
    last_test_status: str | None  # "ok" | "failed" | None (never tested / changed since)
    last_test: Mapping[str, Any] | None
    last_used: datetime | None
    introspected_at: datetime | None
    table_count: int | None
    expose_data_to_llm: bool
    created_at: datetime
    updated_at: datetime
    require_read_only_role: bool = False  # refuse credentials whose last test found risks
    allowed_functions: tuple[str, ...] = ()  # an admin's exceptions to the guard's function policy
    managed: bool = False  # declared in secrets.toml: read-only here, secrets not in the store
    cache_ttl_s: int | None = None  # result-cache lifetime (None: the default; 0: never cache)

    @property
    def risky(self) -> tuple[str, ...] | None:
        """What the last test found these credentials may do beyond reading (None: unknown)."""
        found = (self.last_test or {}).get("risky")
        return None if found is None else tuple(found)

    @property
    def target(self) -> str:
        """A short, secret-free description of where it points (host:port/db or a file)."""
        p = self.params
        if p.get("host"):
            port = f":{p['port']}" if p.get("port") else ""
            return f"{p['host']}{port}/{p.get('database') or ''}".rstrip("/")
        return str(p.get("path") or p.get("account") or p.get("project") or "")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["params"], out["secret_fields_set"] = dict(self.params), list(self.secret_fields_set)
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


@dataclass(frozen=True)
class QueryLogEntry:
    id: int
    owner: str
    connection_id: str | None
    question: str | None
    sql: str
    status: str  # ok | refused | error
    row_count: int | None
    elapsed_ms: float | None
    error: str | None
    created_at: datetime
    user: str | None = None
    source: str | None = None
    bytes: int | None = None
    scanned_bytes: int | None = None
    cached: bool | None = None
    reads_json: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in asdict(self).items()}


# ---- helpers ------------------------------------------------------------------------------------
def _split(cls, params: Mapping[str, Any]) -> tuple[dict, dict]:
    secret_names = set(cls.secret_fields())
    public = {k: v for k, v in params.items() if k not in secret_names}
    secret = {k: v for k, v in params.items() if k in secret_names and v not in (None, "")}
    return public, secret


def check_credentials_stay(cls, old: Mapping[str, Any], new: Mapping[str, Any],
                           given: Mapping[str, Any], cleared: Iterable[str] = ()) -> None:
    """Saved secrets may only go where they went before: changing a field that decides where
    (host, port, URL, account, project...) needs every kept secret typed in again. old and new
    are whole parameter sets (secrets included); given is what the user typed."""
    moved = [f for f in cls.target_fields if old.get(f) != new.get(f) and f not in cleared]
    kept = [k for k in cls.secret_fields() if old.get(k) and given.get(k) in (None, "")]
    if not moved or not kept:
        return
    labels = {f.name: f.label for f in cls.fields}
    raise ConfigError(
        f"Changing {', '.join(labels.get(f, f) for f in moved)} would send the saved "
        f"{', '.join(labels.get(k, k) for k in kept)} to a new place.",
        title="Enter the credentials again", fields=tuple(kept),
        suggestion="Type the password (and every other secret) again, or remove it, together "
                   "with the change.")


def _test_values(result, now: datetime) -> dict[str, Any]:
    if result is None:
        return {}
    return {"last_tested_at": now, "last_test_status": "ok" if result.ok else "failed",
            "last_test_json": _dumps(result.to_dict())}


def _record(row) -> ConnectionRecord:
    return ConnectionRecord(
        id=row.id, owner=row.owner, name=row.name, type=row.type,
        params=json.loads(row.params_json),
        secret_fields_set=tuple(json.loads(row.secret_fields_json)),
        is_active=bool(row.is_active), last_tested_at=_utc(row.last_tested_at),
        last_test_status=row.last_test_status,
        last_test=json.loads(row.last_test_json) if row.last_test_json else None,
        last_used=_utc(row.last_used), introspected_at=_utc(row.introspected_at),
        table_count=row.table_count, expose_data_to_llm=bool(row.expose_data_to_llm),
        created_at=_utc(row.created_at), updated_at=_utc(row.updated_at),
        require_read_only_role=bool(row.require_read_only_role),
        allowed_functions=tuple(json.loads(row.allowed_functions_json or "[]")),
        managed=bool(row.managed), cache_ttl_s=row.cache_ttl_s)


def _owner(owner: str) -> str:
    if not owner or not str(owner).strip():
        raise ConfigError("An owner is required for every connection operation.")
    return str(owner)


def _name(name: str) -> str:
    name = str(name or "").strip()
    if not name:
        raise ConfigError("A connection needs a name.", suggestion="Enter a name, e.g. Analytics.")
    if len(name) > 200:
        raise ConfigError("Connection names are limited to 200 characters.")
    return name


@contextmanager
def _unique_names(name: str | None) -> Iterator[None]:
    """Two writers racing for one name: the database's UNIQUE(owner, name) has the last word."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise NameTaken.of(str(name)) from None


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def _catalog(snapshot: "Catalog | Mapping[str, Any]") -> Catalog:
    """A Catalog as is; a FEAT-001 dict (scripts, older callers) read into one first."""
    return snapshot if isinstance(snapshot, Catalog) else Catalog.from_dict(snapshot)


def _parse_ts(value: Any) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(str(value))) if value else None
    except ValueError:
        return None


def _version(record: ConnectionRecord) -> str:
    """Changes whenever the record's settings change (any edit), read without decrypting."""
    return record.updated_at.isoformat()
