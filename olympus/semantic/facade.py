"""The Workspace methods of olympus.semantic: one mixin composed of one class per concern."""

from __future__ import annotations

from olympus.semantic.facade_layer import LayerMethods
from olympus.semantic.facade_verified import VerifiedMethods
from olympus.semantic.facade_eval import EvalMethods


class Semantic(LayerMethods, VerifiedMethods, EvalMethods):
    """Mixed into olympus.workspace.Workspace; uses self.store, self.owner, self.principal."""
