"""Encrypted connection store: SQLAlchemy Core, SQLite by default, every row scoped by owner."""

from __future__ import annotations

import functools
import json
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa

from olympus.catalog import Catalog
from olympus.config import Settings
from olympus.connectors import connector_class, create_connector
from olympus.crypto import Keyring, load_keyring, wrong_key_error
from olympus.errors import ConfigError, OlympusError
from olympus.journal import Journal, flush_all
from olympus.store_fast import FastInsert, FastStatement
from olympus.store_db import (audit_log, connections, make_engine, migrate, owner_flags,
                              query_log, write)
from olympus.store_db import now as _now


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


_RECORD_COLUMNS = [c for c in connections.c if c.name not in ("schema_json", "secrets_encrypted")]
# the query log's optional facts (v7); log_query(extra=...) may set any of them
_LOG_EXTRA = dict.fromkeys(("user", "source", "bytes", "scanned_bytes", "cached", "reads_json"))
_TOUCH = connections.update().where(connections.c.owner == sa.bindparam("o"),
                                    connections.c.id == sa.bindparam("i")).values(
    last_used=sa.bindparam("at"))


class Store:
    """Connections and the query log; secrets leave only through `connector()`, decrypted."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.url = url or self.settings.store_url
        self.engine = make_engine(self.url)
        self.journal = Journal(self.engine, _JOURNAL_WRITERS)  # the query log, behind
        self._keyring: Keyring | None = None
        migrate(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Store":
        return cls(settings.store_url, settings=settings)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def dispose(self) -> None:
        self.journal.flush()
        self.engine.dispose()

    def flush(self) -> None:
        """Wait for the query log, audit rows and last-use times written behind the queries
        (readers of those call it; another process sees them within milliseconds). Every
        store object of this process, so a second one on the same database reads them too."""
        flush_all()

    # ---- connections --------------------------------------------------------------------------
    def list_connections(self, owner: str) -> list[ConnectionRecord]:
        self.flush()  # their last use is written behind the queries
        query = (sa.select(*_RECORD_COLUMNS).where(connections.c.owner == _owner(owner))
                 .order_by(connections.c.name))
        with self._read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def get(self, owner: str, name_or_id: str) -> ConnectionRecord:
        key = str(name_or_id)
        rows = _GET.rows(self.engine, {"o": _owner(owner), "k": key})  # every query reads it
        if rows:
            return _record(next((r for r in rows if r.id == key), rows[0]))
        with self._read() as conn:  # the friendly NotFound, naming the ones that exist
            return _record(self._row(conn, owner, name_or_id, _RECORD_COLUMNS))

    def add(self, owner: str, name: str, type: str, params: Mapping[str, Any], *,
            test=None, expose_data_to_llm: bool = False,
            require_read_only_role: bool = False) -> ConnectionRecord:
        """Validate with the connector's own rules, encrypt its secrets, insert (name unique)."""
        owner, name = _owner(owner), _name(name)
        cls = connector_class(type)
        public, secret = _split(cls, cls.validate(dict(params)))
        now = _now()
        row = {"id": str(uuid.uuid4()), "owner": owner, "name": name, "type": cls.type,
               "params_json": _dumps(public), "secret_fields_json": _dumps(sorted(secret)),
               "secrets_encrypted": self.keyring().encrypt(secret) if secret else None,
               "is_active": True, "expose_data_to_llm": bool(expose_data_to_llm),
               "require_read_only_role": bool(require_read_only_role),
               "created_at": now, "updated_at": now, **_test_values(test, now)}
        with _unique_names(name), self._write() as conn:
            self._check_free(conn, owner, name)
            conn.execute(connections.insert().values(**row))
        return self.get(owner, row["id"])

    def update(self, owner: str, name_or_id: str, *, name: str | None = None,
               params: Mapping[str, Any] | None = None, expose_data_to_llm: bool | None = None,
               is_active: bool | None = None, clear_secrets: Iterable[str] = (),
               require_read_only_role: bool | None = None) -> ConnectionRecord:
        """Change what is given: a None parameter is removed, a blank secret keeps the stored one,
        `clear_secrets` names secrets to delete; new params reset test + schema."""
        clear_secrets = tuple(clear_secrets)
        with _unique_names(name), self._write() as conn:
            row = self._row(conn, owner, name_or_id, [connections])
            values: dict[str, Any] = {"updated_at": _now()}
            if name is not None and _name(name) != row.name:
                self._check_free(conn, row.owner, _name(name))
                values["name"] = _name(name)
            if params is not None or clear_secrets:
                values.update(self._new_params(row, params or {}, clear_secrets))
            if expose_data_to_llm is not None:
                values["expose_data_to_llm"] = bool(expose_data_to_llm)
            if is_active is not None:
                values["is_active"] = bool(is_active)
            if require_read_only_role is not None:
                values["require_read_only_role"] = bool(require_read_only_role)
            conn.execute(connections.update().where(connections.c.id == row.id).values(**values))
        return self.get(row.owner, row.id)

    def _new_params(self, row, params: Mapping[str, Any],
                    clear_secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        cls = connector_class(row.type)
        secret_names = set(cls.secret_fields())
        not_secret = sorted(set(clear_secrets) - secret_names)
        if not_secret:
            raise ConfigError(f"Not a secret setting of {cls.label}: {', '.join(not_secret)}.",
                              suggestion=f"Secrets: {', '.join(sorted(secret_names)) or 'none'}.")
        old_public = json.loads(row.params_json)
        old_secret = self.keyring().decrypt(row.secrets_encrypted) if row.secrets_encrypted else {}
        # None (or "") for a non-secret parameter removes it (validate drops blank values)
        merged = {**old_public, **{k: v for k, v in params.items() if k not in secret_names}}
        for key in secret_names:
            given = params.get(key)
            if given not in (None, ""):
                merged[key] = given  # a new value wins over a removal
            elif key not in clear_secrets:
                merged[key] = old_secret.get(key)
        public, secret = _split(cls, cls.validate(merged))
        if public == old_public and secret == old_secret:
            return {}
        check_credentials_stay(cls, {**old_public, **old_secret}, {**public, **secret}, params,
                               cleared=clear_secrets)
        return {"params_json": _dumps(public), "secret_fields_json": _dumps(sorted(secret)),
                "secrets_encrypted": self.keyring().encrypt(secret) if secret else None,
                "schema_json": None, "introspected_at": None, "table_count": None,
                "last_tested_at": None, "last_test_status": None, "last_test_json": None}

    def remove(self, owner: str, name_or_id: str) -> ConnectionRecord:
        with self._write() as conn:
            row = self._row(conn, owner, name_or_id, _RECORD_COLUMNS)
            conn.execute(connections.delete().where(connections.c.id == row.id))
        return _record(row)

    def connector(self, owner: str, name_or_id: str, **options):
        """The live connector with decrypted secrets (the only way secrets leave the store)."""
        with self._read() as conn:
            row = self._row(conn, owner, name_or_id, [connections])
        allowed = json.loads(row.allowed_functions_json or "[]")
        return create_connector(row.type, self.params_with_secrets(row),
                                allowed_functions=allowed, **options)

    def set_allowed_functions(self, owner: str, name_or_id: str,
                              names: Iterable[str]) -> ConnectionRecord:
        """Replace the functions allowed for one connection (a new version: pools rebuild)."""
        with self._write() as conn:
            row = self._row(conn, owner, name_or_id, [connections.c.id, connections.c.owner])
            conn.execute(connections.update().where(connections.c.id == row.id).values(
                allowed_functions_json=_dumps(sorted(set(names))), updated_at=_now()))
        return self.get(row.owner, row.id)

    def params_with_secrets(self, row) -> dict[str, Any]:
        secret = self.keyring().decrypt(row.secrets_encrypted) if row.secrets_encrypted else {}
        return {**json.loads(row.params_json), **secret}

    # ---- status, schema, log ------------------------------------------------------------------
    def record_test(self, owner: str, id: str, result) -> None:
        self._set(owner, id, **_test_values(result, _now()))

    def touch_used(self, owner: str, id: str) -> None:
        self._set(owner, id, last_used=_now())

    def save_schema(self, owner: str, id: str, snapshot: "Catalog | Mapping[str, Any]") -> None:
        """Keep the catalog as FEAT-001 JSON (orjson: compact, and fast to read back)."""
        catalog = _catalog(snapshot)
        self._set(owner, id, schema_json=catalog.to_json().decode(),
                  introspected_at=_parse_ts(catalog.introspected_at) or _now(),
                  table_count=len(catalog.tables))

    def forget_schema(self, owner: str, id: str) -> None:
        self._set(owner, id, schema_json=None, introspected_at=None, table_count=None)

    def load_schema(self, owner: str, id: str) -> "Catalog | None":
        query = sa.select(connections.c.schema_json).where(
            connections.c.owner == _owner(owner), connections.c.id == id)
        with self._read() as conn:
            blob = conn.execute(query).scalar()
        return Catalog.from_json(blob) if blob else None

    def log_query(self, owner: str, connection_id: str | None, *, question: str | None = None,
                  sql: str, status: str, row_count: int | None = None,
                  elapsed_ms: float | None = None, error: str | None = None,
                  touch_used: bool = False, audit: Mapping[str, Any] | None = None,
                  extra: Mapping[str, Any] | None = None) -> None:
        """One query-log line, the connection's last use and the audit row
        (store_audit.row_values) when given. Written behind: `flush()` before reading."""
        at = _now()
        values = dict(_LOG_EXTRA, **(extra or {}))  # every key always: one compiled insert
        values.update(owner=_owner(owner), connection_id=connection_id, question=question,
                      sql=sql, status=status, row_count=row_count, elapsed_ms=elapsed_ms,
                      error=error, created_at=at)
        rows = [("query_log", values)]  # committed behind the query (olympus.journal)
        if touch_used and connection_id is not None:
            rows.append(("touch", {"o": _owner(owner), "i": connection_id, "at": at}))
        if audit is not None:
            rows.append(("audit", dict(audit)))
        self.journal.submit_all(rows)

    def query_log(self, owner: str, *, limit: int = 50,
                  connection_id: str | None = None) -> list[QueryLogEntry]:
        query = sa.select(query_log).where(query_log.c.owner == _owner(owner))
        if connection_id is not None:
            query = query.where(query_log.c.connection_id == connection_id)
        query = query.order_by(query_log.c.created_at.desc(), query_log.c.id.desc()).limit(limit)
        self.flush()
        with self._read() as conn:
            return [QueryLogEntry(**{**row._asdict(), "created_at": _utc(row.created_at)})
                    for row in conn.execute(query)]

    # ---- one-time facts per owner ---------------------------------------------------------------
    def has_flag(self, owner: str, flag: str) -> bool:
        query = sa.select(owner_flags.c.flag).where(owner_flags.c.owner == _owner(owner),
                                                     owner_flags.c.flag == flag)
        with self._read() as conn:
            return conn.execute(query).first() is not None

    def set_flag(self, owner: str, flag: str) -> bool:
        """Record a one-time fact (e.g. "demo_offered"); False when it was already recorded."""
        try:
            with self._write() as conn:
                conn.execute(owner_flags.insert().values(owner=_owner(owner), flag=flag,
                                                         set_at=_now()))
        except sa.exc.IntegrityError:
            return False
        return True

    # ---- keys ---------------------------------------------------------------------------------
    def keyring(self) -> Keyring:
        """Load (or, locally with nothing encrypted yet, create) the key; check it reads the store."""
        if self._keyring is None:
            sample = self._sample_token()
            local = self.engine.dialect.name == "sqlite"
            keyring = load_keyring(self.settings, may_generate=sample is None and local)
            if sample is not None and not keyring.can_decrypt(sample):
                raise wrong_key_error()
            self._keyring = keyring
        return self._keyring

    def check_key(self) -> None:
        """Fail early (SecretKeyError) if stored credentials exist and the key can't read them."""
        if self._sample_token() is not None:
            self.keyring()

    def rotate_keys(self) -> int:
        """Re-encrypt every row (all owners) with the newest key, in one transaction."""
        keyring = self.keyring()
        with self._write() as conn:
            rows = conn.execute(sa.select(connections.c.id, connections.c.secrets_encrypted)
                                .where(connections.c.secrets_encrypted.is_not(None))).all()
            for row in rows:  # any unreadable row raises: the transaction rolls back, nothing changes
                conn.execute(connections.update().where(connections.c.id == row.id)
                             .values(secrets_encrypted=keyring.rotate(row.secrets_encrypted)))
        return len(rows)

    def _sample_token(self) -> str | None:
        query = (sa.select(connections.c.secrets_encrypted)
                 .where(connections.c.secrets_encrypted.is_not(None))
                 .order_by(connections.c.updated_at.desc()).limit(1))
        with self._read() as conn:
            return conn.execute(query).scalar()

    # ---- internals ----------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    def _write(self):
        return write(self.engine)

    def _row(self, conn, owner: str, name_or_id: str, columns) -> Any:
        owner, key = _owner(owner), str(name_or_id)
        rows = conn.execute(_by_key(tuple(columns)), {"o": owner, "k": key}).all()
        if not rows:
            names = conn.execute(sa.select(connections.c.name).where(connections.c.owner == owner)
                                 .order_by(connections.c.name)).scalars().all()
            existing = f"Existing connections: {', '.join(names)}." if names else \
                "There are no connections yet."
            raise NotFound(f"No connection named {key!r}. {existing}")
        return next((r for r in rows if r.id == key), rows[0])

    def _check_free(self, conn, owner: str, name: str) -> None:
        taken = conn.execute(sa.select(connections.c.id).where(
            connections.c.owner == owner, connections.c.name == name)).first()
        if taken:
            raise NameTaken.of(name)

    def _set(self, owner: str, id: str, **values) -> None:
        with self._write() as conn:
            done = conn.execute(connections.update().where(
                connections.c.owner == _owner(owner), connections.c.id == id).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"No connection with id {id!r}.")

# ---- helpers# ---- helpers ------------------------------------------------------------------------------------
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


@functools.lru_cache(maxsize=8)
def _by_key(columns: tuple) -> sa.Select:
    """One connection by id or name within an owner; built once (every query reads it)."""
    key = sa.bindparam("k")
    return sa.select(*columns).where(connections.c.owner == sa.bindparam("o"),
                                     sa.or_(connections.c.id == key, connections.c.name == key))


_GET = FastStatement(_by_key(tuple(_RECORD_COLUMNS)))


def _touch_latest(conn, rows: list) -> None:
    """Last use: only the latest time per connection of a batch is written."""
    latest = {(r["o"], r["i"]): r for r in rows}
    conn.execute(_TOUCH, list(latest.values()))


# what log_query writes behind the query, one executemany per kind and batch
_LOG_INSERT, _AUDIT_INSERT = FastInsert(query_log), FastInsert(audit_log)
_JOURNAL_WRITERS = {"query_log": _LOG_INSERT.execute, "touch": _touch_latest,
                    "audit": _AUDIT_INSERT.execute}


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
