"""Workspace methods: MCP access tokens (mixed in through olympus.ops.facade)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from olympus.workspace_audit import audited

if TYPE_CHECKING:
    from olympus.ops.tokens import TokenInfo


class TokenMethods:
    """MCP access tokens for the signed-in user and space (self.principal, self.owner)."""

    @audited("token_create", lambda a: a.get("name"))
    def create_token(self, name: str) -> tuple["TokenInfo", str]:
        """A token acting as me in this space (my role, whatever it is when used); the secret
        is returned once."""
        from olympus.ops import tokens

        self.principal.require("view")
        return tokens.create(self.store, space=self.owner, user=self.principal.user, name=name)

    def access_tokens(self, *, everyone: bool = False) -> list["TokenInfo"]:
        """My tokens here; `everyone` (admins only) lists every member's."""
        from olympus.ops import tokens

        self.principal.require("members" if everyone else "view")
        return tokens.listed(self.store, space=self.owner,
                             user=None if everyone else self.principal.user)

    @audited("token_revoke", lambda a: a.get("token_id"))
    def revoke_token(self, token_id: str) -> "TokenInfo":
        """Revoke one of my tokens; an admin may revoke any token of the space."""
        from olympus.ops import tokens

        self.principal.require("view")
        mine_only = None if self.principal.can("members") else self.principal.user
        return tokens.revoke(self.store, token_id, space=self.owner, user=mine_only)
