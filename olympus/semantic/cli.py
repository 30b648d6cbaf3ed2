"""`python -m olympus ...` commands of olympus.semantic (argparse only here: handlers import lazily)."""

from __future__ import annotations

from typing import Callable


def add_parsers(commands) -> dict[str, Callable]:
    """Add this package's subcommands; returns {command: handler(args, ws) -> exit code}."""
    return {}
