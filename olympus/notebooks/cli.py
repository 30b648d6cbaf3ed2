"""`python -m olympus ...` commands of olympus.notebooks, one module per concern."""

from __future__ import annotations

from typing import Callable

from olympus.notebooks import cli_notebook, cli_history


def add_parsers(commands) -> dict[str, Callable]:
    """Add this package's subcommands; returns {command: handler(args, ws) -> exit code}."""
    handlers: dict[str, Callable] = {}
    for module in (cli_notebook, cli_history,):
        handlers.update(module.add_parsers(commands))
    return handlers
