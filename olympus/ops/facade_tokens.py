"""Workspace methods: MCP access tokens (mixed in through olympus.ops.facade)."""

from __future__ import annotations


class TokenMethods:
    """MCP access tokens for the signed-in user and space (self.principal, self.owner)."""
