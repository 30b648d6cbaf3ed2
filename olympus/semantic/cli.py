"""`python -m olympus ...` commands of olympus.semantic, one module per concern."""

from __future__ import annotations

from typing import Callable

from olympus.semantic import cli_layer, cli_eval, verified_cli


def add_parsers(commands) -> dict[str, Callable]:
    """Add this package's subcommands; returns {command: handler(args, ws) -> exit code}."""
    handlers: dict[str, Callable] = {}
    for module in (cli_layer, cli_eval, verified_cli):
        handlers.update(module.add_parsers(commands))
    return handlers
