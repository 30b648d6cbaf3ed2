"""Encrypted connection store: SQLAlchemy Core, SQLite by default, every row scoped by owner."""

from __future__ import annotations

import functools
import json
import uuid
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa

from olympus.catalog import Catalog
from olympus.config import Settings
from olympus.connectors import connector_class, create_connector
from olympus.errors import ConfigError
from olympus.journal import Journal, flush_all
from olympus.memo import Memo
from olympus.store_db import connections, make_engine, migrate, owner_flags, write
from olympus.store_db import now as _now
from olympus.store_fast import FastStatement
from olympus.store_keys import Keys
from olympus.store_log import _JOURNAL_WRITERS, QueryLog
# QueryLogEntry: still importable from here, as callers do
from olympus.store_records import (ConnectionRecord, NameTaken, NotFound, QueryLogEntry,  # noqa
                                   _catalog, _dumps, _name, _owner, _parse_ts, _record, _split,
                                   _test_values, _unique_names, check_credentials_stay)

_RECORD_COLUMNS = [c for c in connections.c if c.name not in ("schema_json", "secrets_encrypted")]


class Store(QueryLog, Keys):
    """Connections and the query log; secrets leave only through `connector()`, decrypted."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.url = url or self.settings.store_url
        self.engine = make_engine(self.url)
        self.journal = Journal(self.engine, _JOURNAL_WRITERS)  # the query log, behind
        self._keyring = None  # olympus.store_keys: loaded on first use
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
        rows = _GET.rows(self.engine, {"o": _owner(owner), "k": key}, raw=True)  # every query
        if rows:
            row = next((r for r in rows if r[_ID] == key), rows[0])
            return _own_copy(_RECORDS.get(row, lambda: _record(_GET.shape(self.engine.dialect,
                                                                            row))))
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


@functools.lru_cache(maxsize=8)
def _by_key(columns: tuple) -> sa.Select:
    """One connection by id or name within an owner; built once (every query reads it)."""
    key = sa.bindparam("k")
    return sa.select(*columns).where(connections.c.owner == sa.bindparam("o"),
                                     sa.or_(connections.c.id == key, connections.c.name == key))


_GET = FastStatement(_by_key(tuple(_RECORD_COLUMNS)))
_ID = [c.name for c in _RECORD_COLUMNS].index("id")
# record per stored row (every column: any change, even last use, is a new key): every query
# reads its connection's row, and decoding it (JSON, timestamps) cost more than the read
_RECORDS = Memo(64)


def _own_copy(record: ConnectionRecord) -> ConnectionRecord:
    """The caller's own mutable parts: a remembered record is shared. A shallow copy of its
    fields (dataclasses.replace runs the whole frozen __init__, 20 fields, on every query)."""
    copy = object.__new__(ConnectionRecord)
    copy.__dict__.update(record.__dict__, params=dict(record.params), last_test=None
                         if record.last_test is None else dict(record.last_test))
    return copy
