"""The team half of Workspace: the principal it acts for, grants that hide connections, and the
space's members. Every check is here in core, so the UI and the CLI obey the same rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from olympus.store import ConnectionRecord, NotFound
from olympus.store_teams import Teams
from olympus.teams import Principal

if TYPE_CHECKING:
    from olympus.store import Store


class Access:
    """Mixed into Workspace: `store`, `owner` and `principal` come from it."""

    store: "Store"
    owner: str
    principal: Principal

    @property
    def teams(self) -> Teams:
        return Teams(self.store)

    def visible(self, records: list[ConnectionRecord]) -> list[ConnectionRecord]:
        """Admins see every connection of the space; others only those granted to them (a
        connection without grants is for every member)."""
        if self.principal.can("manage"):
            return records
        granted = self.teams.grants(r.id for r in records)
        mine = {("user", self.principal.user), ("role", self.principal.role)}
        return [r for r in records if r.id not in granted or granted[r.id] & mine]

    def checked(self, record: ConnectionRecord) -> ConnectionRecord:
        """The record if this user may see it; else the same NotFound as a missing one."""
        if not self.visible([record]):
            raise NotFound(f"No connection named {record.name!r}.")
        return record

    # ---- grants -------------------------------------------------------------------------------
    def grant(self, name: str, *, users: Iterable[str] = (),
              roles: Iterable[str] = ()) -> dict[str, list[str]]:
        """Limit a connection to named members and/or roles (none: every member)."""
        self.principal.require("manage")
        record = self.store.get(self.owner, name)
        self.teams.set_grants(record.id, users=users, roles=roles)
        return self.grants_of(name)

    def grants_of(self, name: str) -> dict[str, list[str]]:
        record = self.checked(self.store.get(self.owner, name))
        found = self.teams.grants([record.id]).get(record.id, set())
        return {"users": sorted(v for k, v in found if k == "user"),
                "roles": sorted(v for k, v in found if k == "role")}

    # ---- members ------------------------------------------------------------------------------
    def members(self) -> list[tuple[str, str]]:
        self.principal.require("view")
        return self.teams.members(self.owner)

    def set_member(self, email: str, role: str) -> None:
        self.principal.require("members")
        self.teams.set_member(self.owner, email, role)

    def remove_member(self, email: str) -> bool:
        self.principal.require("members")
        return self.teams.remove_member(self.owner, email)
