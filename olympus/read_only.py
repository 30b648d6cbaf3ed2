"""Credentials that can do more than read: the wording every layer shows, and the refusal."""

from __future__ import annotations

from typing import Iterable

from olympus.errors import ConfigError

SETTING = "Require a read-only role"


class RiskyCredentials(ConfigError):
    """A connection that requires a read-only role was given credentials that can write."""

    kind, title = "risky_credentials", "Credentials can do more than read"

    def __init__(self, name: str, findings: Iterable[str], recipe: str) -> None:
        self.findings, self.recipe = tuple(findings), recipe
        super().__init__(
            f"{name!r} requires a read-only role, but its credentials can change data or reach "
            f"the server: {summary(self.findings)}.",
            suggestion=f"Connect with a least-privilege read-only role (recipe below), or turn "
                       f"off “{SETTING}” for this connection.",
            detail=recipe or None)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "findings": list(self.findings), "recipe": self.recipe}


def summary(findings: Iterable[str], *, limit: int = 8) -> str:
    """'superuser; INSERT on public.orders; … (3 more)' for one-line messages."""
    found = list(findings)
    shown = "; ".join(found[:limit])
    return shown + (f"; … ({len(found) - limit} more)" if len(found) > limit else "")


def warning(findings: Iterable[str]) -> str:
    """The plain-text warning shown after a test that found risky privileges."""
    lines = "\n".join(f"  - {f}" for f in findings)
    return ("These credentials can do more than read. Olympus runs every query read-only, but a "
            "least-privilege role is the safer second layer:\n" + lines)
