"""Semantic-layer fixtures: the agent tests' DuckDB shop, a workspace, and role-bound workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from olympus.teams import Principal
from olympus.workspace import Workspace
from tests.agent.conftest import fake_openai, llm_server, settings, shop, shop_path, store, ws  # noqa: F401

DBT_PROJECT = Path(__file__).resolve().parents[1] / "data" / "dbt_project"


@pytest.fixture()
def as_role(store, settings):
    """Workspace(s) for a member of space 'team' with a role; closed afterwards."""
    opened: list[Workspace] = []

    def make(role: str, user: str | None = None) -> Workspace:
        ws = Workspace(store, settings=settings, principal=Principal(user or f"{role}@x.io", "team", role))
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
