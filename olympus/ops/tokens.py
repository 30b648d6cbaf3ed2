"""Personal access tokens for the MCP server: a random secret shown once, only its SHA-256 kept.

A token names a user and a space; resolving it asks olympus.teams for the member's CURRENT role,
so a demoted member's token is demoted too and a removed member's token stops working."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import sqlalchemy as sa

from olympus.errors import ConfigError, OlympusError
from olympus.ops.token_tables import access_tokens
from olympus.store_db import now
from olympus.teams import NoSpace, Principal, principal_for

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.store import Store

SCHEME = "oly_"  # secrets start with it: easy to spot in a leaked file, and by secret scanners
PREFIX_CHARS = len(SCHEME) + 8  # what lists show of a secret
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class InvalidToken(OlympusError):
    kind, title = "unauthorized", "Not signed in"
    suggestion = "Create a new access token in Olympus (sidebar, Access tokens) and use that."


@dataclass(frozen=True)
class TokenInfo:
    """What lists show of a token (never the secret nor its hash)."""

    id: str
    user: str
    space: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(store: "Store", *, space: str, user: str, name: str) -> tuple[TokenInfo, str]:
    """A new token for this user and space; the secret is returned here and never again."""
    name = " ".join(str(name or "").split())[:200]
    if not name:
        raise ConfigError("A token needs a name.", title="Missing name", fields=("name",),
                          suggestion="Name it after where it is used, e.g. 'Claude desktop'.")
    secret = SCHEME + secrets.token_urlsafe(32)
    row = dict(id=str(uuid.uuid4()), space_id=space, user=user, name=name,
               token_hash=digest(secret), prefix=secret[:PREFIX_CHARS], created_at=now(),
               last_used_at=None, revoked_at=None)
    with store._write() as conn:
        conn.execute(access_tokens.insert().values(**row))
    return _info(row), secret


def listed(store: "Store", *, space: str, user: str | None = None) -> list[TokenInfo]:
    """A space's tokens (one user's when given), newest first."""
    query = sa.select(access_tokens).where(access_tokens.c.space_id == space)
    if user is not None:
        query = query.where(access_tokens.c.user == user)
    with store._read() as conn:
        rows = conn.execute(query.order_by(access_tokens.c.created_at.desc())).mappings().all()
    return [_info(r) for r in rows]


def revoke(store: "Store", token_id: str, *, space: str, user: str | None = None) -> TokenInfo:
    """Mark a token revoked (kept for the record); `user` limits it to that user's tokens."""
    where = [access_tokens.c.id == str(token_id), access_tokens.c.space_id == space]
    if user is not None:
        where.append(access_tokens.c.user == user)
    with store._write() as conn:
        conn.execute(access_tokens.update().where(*where, access_tokens.c.revoked_at.is_(None))
                     .values(revoked_at=now()))
        row = conn.execute(sa.select(access_tokens).where(*where)).mappings().first()
    if row is None:
        raise ConfigError("No such access token.", title="Unknown token", fields=("token",),
                          suggestion="Pick one of the tokens listed.")
    return _info(row)


def resolve(store: "Store", settings: "Settings", secret: str) -> Principal:
    """The principal a presented secret acts as, with the member's role today; InvalidToken
    for an unknown, revoked or orphaned token (no hint which, to a guesser)."""
    secret = str(secret or "").strip()
    if not secret.startswith(SCHEME):
        raise InvalidToken("That access token is not valid.")
    with store._read() as conn:
        row = conn.execute(sa.select(access_tokens).where(
            access_tokens.c.token_hash == digest(secret))).mappings().first()
    if row is None or row["revoked_at"] is not None:
        raise InvalidToken("That access token is not valid (unknown or revoked).")
    principal = _principal(store, settings, row["user"], row["space_id"])
    _touch(store, row)
    return principal


def _principal(store: "Store", settings: "Settings", user: str, space: str) -> Principal:
    if settings.auth == "none":  # no sign-in: one local user, admin of its space (like the app)
        return Principal(user, space, "admin")
    if not email_allowed(user, settings):
        raise InvalidToken(f"{user} may no longer use this Olympus.")
    try:
        principal = principal_for(store, settings, user, space)
    except NoSpace:
        principal = None
    if principal is None or principal.space != space:
        raise InvalidToken("The token's owner is no longer a member of its space.")
    return principal


def email_allowed(identity: str, settings: "Settings") -> bool:
    """OLYMPUS_ALLOWED_DOMAINS, when set, is the whole list of e-mail domains let in."""
    if not settings.allowed_domains:
        return True
    domain = identity.rsplit("@", 1)[1].lower() if "@" in identity else ""
    return domain in settings.allowed_domains


def _touch(store: "Store", row) -> None:
    """Record use, at most once a minute per token (a busy client doesn't write every call)."""
    stamp = now()
    last = row["last_used_at"]
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=stamp.tzinfo)
    if last is not None and stamp - last < TOUCH_EVERY:
        return
    with store._write() as conn:
        conn.execute(access_tokens.update().where(access_tokens.c.id == row["id"])
                     .values(last_used_at=stamp))


def _info(row) -> TokenInfo:
    return TokenInfo(id=row["id"], user=row["user"], space=row["space_id"], name=row["name"],
                     prefix=row["prefix"], created_at=_utc(row["created_at"]),
                     last_used_at=_utc(row["last_used_at"]), revoked_at=_utc(row["revoked_at"]))


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
