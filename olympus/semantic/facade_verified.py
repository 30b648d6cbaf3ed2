"""Workspace methods: verified queries, lineage, explain (mixed in through olympus.semantic.facade)."""

from __future__ import annotations


class VerifiedMethods:
    """Verified queries, lineage, explain for the signed-in user and space (self.principal, self.owner)."""
