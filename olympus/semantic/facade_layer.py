"""Workspace methods: descriptions and the glossary (mixed in through olympus.semantic.facade)."""

from __future__ import annotations


class LayerMethods:
    """Descriptions and the glossary for the signed-in user and space (self.principal, self.owner)."""
