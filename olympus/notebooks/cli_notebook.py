"""`python -m olympus notebook list | show | run | export` (argparse only at import: handlers
import lazily)."""

from __future__ import annotations

import argparse
from typing import Callable

RUN_EPILOG = """\
Parameters: --param period=2024-01-01..2024-06-30 (date range), --param start=2024-01-31,
--param n=5, --param region=West; unset ones use the notebook's defaults. Values are bound by
the driver, never pasted into the SQL. Exit code 1 when a cell fails.
"""


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    nb = commands.add_parser("notebook", help="list, show, run and export notebooks")
    sub = nb.add_subparsers(dest="action", required=True, metavar="ACTION")
    lst = sub.add_parser("list", help="the space's notebooks")
    lst.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="a notebook's parameters and cells")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="the notebook document as JSON")
    run = sub.add_parser("run", help="run every cell in order and print the results",
                         epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("name")
    _param_flag(run)
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.add_argument("--limit", type=int, default=None, metavar="N", help="rows per cell")
    export = sub.add_parser("export", help="write the notebook as .html, .sql or .ipynb")
    export.add_argument("name")
    export.add_argument("--to", required=True, choices=("html", "sql", "ipynb"))
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    _param_flag(export)
    export.add_argument("--no-run", action="store_true",
                        help="leave results out (SQL and notes only)")
    return {"notebook": cmd_notebook}


def _param_flag(parser) -> None:
    parser.add_argument("--param", action="append", default=[], metavar="K=V",
                        help="a parameter value (repeatable)")
    parser.add_argument("--local", action="store_true",
                        help="let a cell read cells of other connections: their results are "
                             "fetched and joined on local DuckDB")


def cmd_notebook(args, ws) -> int:
    from olympus.notebooks import notebook_cli_run as handlers

    return {"list": handlers.list_, "show": handlers.show, "run": handlers.run,
            "export": handlers.export}[args.action](args, ws)
