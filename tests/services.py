"""Real services for tests: started locally (offline), or taken from env vars; CI never skips."""

from __future__ import annotations

import os
import tempfile

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, why: str) -> None:
    """Skip locally when a service can't run, but fail under CI=true: nothing skips silently."""
    message = f"{what} unavailable: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service fails the run)")
    pytest.skip(message)


def start_postgres() -> tuple[str, object | None]:
    """A PostgreSQL URL: $OLYMPUS_TEST_PG_URL if set, else a fresh pgserver (PostgreSQL 16)."""
    url = os.environ.get("OLYMPUS_TEST_PG_URL")
    if url:
        return url, None
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="olympus-pg-"), cleanup_mode="stop")
    return server.get_uri(), server
