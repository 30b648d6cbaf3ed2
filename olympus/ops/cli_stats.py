"""`python -m olympus ...` commands (argparse only at import: handlers import lazily)."""

from __future__ import annotations

from typing import Callable


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    return {}
