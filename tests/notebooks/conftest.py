"""Notebook fixtures: stores on SQLite and real PostgreSQL, a workspace on the built demo."""

from __future__ import annotations

import shutil

import pytest

from olympus.crypto import generate_key
from olympus.store import Store
from olympus.teams import Principal
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """The demo database built once; each test gets its own copy."""
    from olympus.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("nbdemo") / "demo.duckdb").path


@pytest.fixture()
def settings(tmp_path, demo_file):
    made = make_settings(tmp_path, keys=(generate_key(),))
    shutil.copy(demo_file, made.demo_path)
    return made


@pytest.fixture()
def store(settings):
    opened = Store.from_settings(settings)
    yield opened
    opened.dispose()


@pytest.fixture()
def ws(store, settings):
    """The local admin's workspace with the Demo connection (and its example notebook)."""
    workspace = Workspace(store, settings=settings)
    workspace.offer_demo()
    yield workspace
    workspace.close()


def as_member(store, settings, role: str, space: str | None = None,
              user: str = "member@example.com") -> Workspace:
    """Another member of the space (or of another space) with a role."""
    return Workspace(store, settings=settings,
                     principal=Principal(user, space or settings.owner, role))
