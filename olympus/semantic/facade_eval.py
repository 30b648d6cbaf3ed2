"""Workspace methods: the evaluation runner (mixed in through olympus.semantic.facade)."""

from __future__ import annotations


class EvalMethods:
    """The evaluation runner for the signed-in user and space (self.principal, self.owner)."""
