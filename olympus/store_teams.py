"""Spaces, members and grants in the store (a space id is the `owner` key of its connections)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

import sqlalchemy as sa

from olympus.errors import ConfigError
from olympus.store_db import grants, members, now, spaces

if TYPE_CHECKING:
    from olympus.store import Store

_SLUG = re.compile(r"[^a-z0-9]+")


class Teams:
    """Team data of one store; every method is one short transaction."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    # ---- spaces ---------------------------------------------------------------------------------
    def spaces(self) -> list[tuple[str, str]]:
        """(id, name) of every space, by name."""
        with self.store._read() as conn:
            return [tuple(r) for r in conn.execute(
                sa.select(spaces.c.id, spaces.c.name).order_by(spaces.c.name))]

    def create_space(self, name: str, *, space_id: str | None = None) -> str:
        """A new space; its id is a slug of the name unless given. Names are unique."""
        name = str(name).strip()
        if not name:
            raise ConfigError("A space needs a name.", fields=("name",))
        space_id = space_id or _SLUG.sub("-", name.lower()).strip("-") or "space"
        with self.store._write() as conn:
            taken = conn.execute(sa.select(spaces.c.id).where(
                sa.or_(spaces.c.id == space_id, spaces.c.name == name))).first()
            if taken:
                raise ConfigError(f"A space named {name!r} already exists.", fields=("name",))
            conn.execute(spaces.insert().values(id=space_id, name=name, created_at=now()))
        return space_id

    def rename_space(self, space: str, name: str) -> None:
        space_id = self.space_id(space)
        with self.store._write() as conn:
            conn.execute(spaces.update().where(spaces.c.id == space_id).values(name=name.strip()))

    def space_id(self, space: str) -> str:
        """A space by id or name; ConfigError naming the spaces that exist."""
        found = [i for i, n in self.spaces() if space in (i, n)]
        if not found:
            known = ", ".join(n for _, n in self.spaces()) or "none yet"
            raise ConfigError(f"No space {space!r}. Spaces: {known}.", fields=("space",))
        return found[0]

    def first_space(self, *, default_id: str) -> str:
        """The oldest space, created (as "Team", with id default_id) when there is none."""
        with self.store._read() as conn:
            row = conn.execute(sa.select(spaces.c.id).order_by(spaces.c.created_at)).first()
        if row is not None:
            return row[0]
        try:
            return self.create_space("Team", space_id=default_id)
        except ConfigError:  # another replica created it at the same moment
            return self.first_space(default_id=default_id)

    # ---- members --------------------------------------------------------------------------------
    def spaces_for(self, email: str) -> list[tuple[str, str]]:
        """(space id, role) of every space the e-mail belongs to, oldest space first."""
        query = (sa.select(members.c.space_id, members.c.role)
                 .join(spaces, spaces.c.id == members.c.space_id)
                 .where(members.c.email == email.lower()).order_by(spaces.c.created_at))
        with self.store._read() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def members(self, space: str) -> list[tuple[str, str]]:
        """(email, role) of a space's members."""
        query = sa.select(members.c.email, members.c.role).where(
            members.c.space_id == space).order_by(members.c.email)
        with self.store._read() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def set_member(self, space: str, email: str, role: str) -> None:
        """Add a member or change their role (one row per space and e-mail)."""
        from olympus.teams import check_role

        email, role = _email(email), check_role(role)
        with self.store._write() as conn:
            conn.execute(members.delete().where(members.c.space_id == space,
                                                members.c.email == email))
            conn.execute(members.insert().values(space_id=space, email=email, role=role,
                                                 added_at=now()))

    def remove_member(self, space: str, email: str) -> bool:
        with self.store._write() as conn:
            done = conn.execute(members.delete().where(members.c.space_id == space,
                                                       members.c.email == _email(email)))
        return done.rowcount > 0

    # ---- grants ---------------------------------------------------------------------------------
    def grants(self, connection_ids: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
        """connection id -> {(kind, value)}; a connection without grants is not in the result."""
        ids = list(connection_ids)
        if not ids:
            return {}
        query = sa.select(grants).where(grants.c.connection_id.in_(ids))
        out: dict[str, set[tuple[str, str]]] = {}
        with self.store._read() as conn:
            for row in conn.execute(query):
                out.setdefault(row.connection_id, set()).add((row.kind, row.value))
        return out

    def set_grants(self, connection_id: str, *, users: Iterable[str] = (),
                   roles: Iterable[str] = ()) -> None:
        """Replace a connection's grants; none at all = every member of the space."""
        from olympus.teams import check_role

        rows = [{"connection_id": connection_id, "kind": "user", "value": _email(u)}
                for u in users] + [{"connection_id": connection_id, "kind": "role",
                                    "value": check_role(r)} for r in roles]
        with self.store._write() as conn:
            conn.execute(grants.delete().where(grants.c.connection_id == connection_id))
            if rows:
                conn.execute(grants.insert(), rows)


def _email(value: str) -> str:
    email = str(value).strip().lower()
    if "@" not in email and email != "local":
        raise ConfigError(f"{value!r} is not an e-mail address.", fields=("email",))
    return email
