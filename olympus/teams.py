"""Who may do what: a signed-in user acts in one space with one role. Checked in core
(Workspace), for the UI and the CLI alike; the UI only decides who the user is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from olympus.errors import OlympusError

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.store import Store

ROLES = ("viewer", "editor", "admin")
# action -> the least role allowed to do it
NEEDS = {
    "view": "viewer",  # see granted connections and their schema, open shared work
    "query": "editor",  # ad-hoc SQL and questions on granted connections
    "save": "editor",  # save and share work
    "manage": "admin",  # connections, grants, settings of the space
    "members": "admin",  # who is in the space, with which role
}
WHAT = {"view": "open this space", "query": "run ad-hoc SQL or ask questions",
        "save": "save or share work", "manage": "change connections or grants",
        "members": "manage the members of this space"}
LOCAL_USER = "local"


class Forbidden(OlympusError):
    kind, title = "forbidden", "Not allowed"
    suggestion = "Ask an admin of this space for the role you need."


class NoSpace(OlympusError):
    kind, title = "no_space", "No space yet"
    suggestion = "Ask an admin to add you to a space."


@dataclass(frozen=True)
class Principal:
    """The signed-in user, the space they act in (the store's owner key) and their role there."""

    user: str
    space: str
    role: str

    def can(self, action: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(NEEDS[action])

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden(f"As {self.role} of this space you can't {WHAT[action]}.")


def local_principal(settings: "Settings") -> Principal:
    """No sign-in: the single local user is the admin of the local space."""
    return Principal(LOCAL_USER, settings.owner, "admin")


def check_role(role: str) -> str:
    role = str(role).strip().lower()
    if role not in ROLES:
        from olympus.errors import ConfigError

        raise ConfigError(f"Unknown role {role!r}.", suggestion=f"Roles: {', '.join(ROLES)}.",
                          fields=("role",))
    return role


def principal_for(store: "Store", settings: "Settings", email: str,
                  requested_space: str | None = None) -> Principal:
    """The principal of a signed-in e-mail: its requested space if a member, else its first;
    OLYMPUS_ADMINS become admins of the first space on first sign-in; NoSpace otherwise."""
    from olympus.store_teams import Teams

    email = str(email).strip().lower()
    teams = Teams(store)
    memberships = teams.spaces_for(email)
    if not memberships and email in settings.admins:
        space = teams.first_space(default_id=settings.owner)
        teams.set_member(space, email, "admin")
        memberships = teams.spaces_for(email)
    if not memberships:
        raise NoSpace(f"{email} is not a member of any space yet.")
    chosen = next((m for m in memberships if m[0] == requested_space), memberships[0])
    return Principal(email, chosen[0], chosen[1])
