"""The team half of Workspace: the principal it acts for, grants that hide connections, and the
space's members. Every check is here in core, so the UI and the CLI obey the same rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from olympus.store import ConnectionRecord, NotFound
from olympus.store_teams import Teams
from olympus.teams import Principal
from olympus.workspace_audit import audited, listed

if TYPE_CHECKING:
    from olympus.store import Store


class Access:
    """Mixed into Workspace: `store`, `owner` and `principal` come from it."""

    store: "Store"
    owner: str
    principal: Principal
    settings: Any
    shared: Any

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

    # ---- connections declared in secrets.toml ---------------------------------------------------
    def sync_managed(self) -> None:
        """Mirror this space's declared connections into the store, once per file version."""
        from olympus import managed
        from olympus.store_managed import sync

        key = (self.owner, managed.version())
        if key in self.shared.synced:
            return
        items = managed.declared(self.settings.owner)
        sync(self.store, self.owner, items)
        self.shared.synced.add(key)

    def managed_connector(self, record: ConnectionRecord):
        """A declared connection's connector, its secrets read from the secrets file."""
        from olympus import managed
        from olympus.connectors import create_connector

        item = next((m for m in managed.declared(self.settings.owner)
                     if m.space == self.owner and m.name == record.name), None)
        if item is None:
            raise NotFound(f"No connection named {record.name!r}.")
        return create_connector(item.type, item.params, allowed_functions=record.allowed_functions,
                                statement_timeout_s=self.settings.statement_timeout_s,
                                max_result_bytes=self.settings.max_result_bytes)

    def editable(self, name: str) -> ConnectionRecord:
        """A connection this admin may change: not one declared in secrets.toml."""
        from olympus.errors import ConfigError

        self.principal.require("manage")
        record = self.store.get(self.owner, name)
        if record.managed:
            raise ConfigError(f"{record.name!r} is managed in the server's secrets.toml.",
                              title="Managed connection",
                              suggestion="Change it there (an administrator of the server).")
        return record

    # ---- grants -------------------------------------------------------------------------------
    @audited("grant", lambda a: f"{a['name']}: users {listed(a.get('users'))}; "
                                f"roles {listed(a.get('roles'))}")
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

    @audited("member_change", lambda a: f"{a['email']} as {a['role']}")
    def set_member(self, email: str, role: str) -> None:
        self.principal.require("members")
        self.teams.set_member(self.owner, email, role)

    @audited("member_change", lambda a: f"{a['email']} removed")
    def remove_member(self, email: str) -> bool:
        self.principal.require("members")
        return self.teams.remove_member(self.owner, email)
