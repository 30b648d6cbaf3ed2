"""`python -m olympus ...` commands of olympus.ops, one module per concern."""

from __future__ import annotations

from typing import Callable

from olympus.ops import cli_worker, cli_stats, cli_mcp


def add_parsers(commands) -> dict[str, Callable]:
    """Add this package's subcommands; returns {command: handler(args, ws) -> exit code}."""
    handlers: dict[str, Callable] = {}
    for module in (cli_worker, cli_stats, cli_mcp,):
        handlers.update(module.add_parsers(commands))
    return handlers
