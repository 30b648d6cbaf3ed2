"""Mirror the connections declared in secrets.toml into the store (settings without secrets, so
status, schema cache and grants work as for any connection); removed declarations disappear."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Iterable

import sqlalchemy as sa

from olympus.connectors import connector_class
from olympus.store_db import connections, now

if TYPE_CHECKING:
    from olympus.managed import Managed
    from olympus.store import Store

log = logging.getLogger(__name__)


def managed_id(space: str, name: str) -> str:
    """A stable id per space and name, so replicas agree without talking to each other."""
    return "managed-" + hashlib.sha256(f"{space}\0{name}".encode()).hexdigest()[:27]


def sync(store: "Store", owner: str, items: Iterable["Managed"]) -> None:
    """Insert or refresh the declared connections of one space; drop those no longer declared."""
    wanted = {managed_id(owner, m.name): m for m in items if m.space == owner}
    with store._write() as conn:
        rows = conn.execute(sa.select(connections.c.id, connections.c.name, connections.c.managed,
                                      connections.c.params_json).where(
            connections.c.owner == owner)).all()
        existing = {r.id: r for r in rows if r.managed}
        taken = {r.name for r in rows if not r.managed}
        for gone in set(existing) - set(wanted):
            conn.execute(connections.delete().where(connections.c.id == gone))
        for id_, item in wanted.items():
            if item.name in taken:
                log.warning("secrets.toml declares %r, but that name is taken in %r", item.name,
                            owner)
                continue
            _upsert(conn, owner, id_, item, existing.get(id_))


def _upsert(conn, owner: str, id_: str, item: "Managed", row) -> None:
    cls = connector_class(item.type)
    clean = cls.validate(dict(item.params))
    secret_names = set(cls.secret_fields())
    public = json.dumps({k: v for k, v in clean.items() if k not in secret_names},
                        sort_keys=True, default=str)
    secret_set = json.dumps(sorted(k for k in clean if k in secret_names))
    if row is not None:
        if row.params_json != public:  # the admin changed the file: new settings, new test
            conn.execute(connections.update().where(connections.c.id == id_).values(
                params_json=public, secret_fields_json=secret_set, updated_at=now(),
                schema_json=None, introspected_at=None, last_test_status=None))
        return
    stamp = now()
    conn.execute(connections.insert().values(
        id=id_, owner=owner, name=item.name, type=cls.type, params_json=public,
        secret_fields_json=secret_set, secrets_encrypted=None, is_active=True,
        expose_data_to_llm=False, managed=True, created_at=stamp, updated_at=stamp))
