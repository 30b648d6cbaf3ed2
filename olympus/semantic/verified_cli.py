"""`python -m olympus verified|lineage|explain ...` (argparse only at import: handlers import lazily)."""

from __future__ import annotations

from typing import Callable

VERIFIED_HELP = """\
Verified queries: questions with SQL people vouched for; the agent gets similar ones as
examples. A schema refresh marks one stale when a table or column it reads is gone.
  verified list [CONNECTION] [--stale] [--json]
  verified add CONNECTION QUESTION SQL
  verified approve ID        (admin: still correct, clear the stale mark)
  verified delete ID         (admin)
  verified recheck CONNECTION  (re-read the schema and re-check them now)
"""


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    import argparse

    ver = commands.add_parser("verified", help="verified queries (few-shot examples)",
                              description=VERIFIED_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    ver.add_argument("action", choices=("list", "add", "approve", "delete", "recheck"))
    ver.add_argument("args", nargs="*", metavar="ARG")
    ver.add_argument("--stale", action="store_true", help="list: only stale ones")
    ver.add_argument("--json", action="store_true", help="list: as JSON")
    lin = commands.add_parser("lineage", help="the tables and columns a SQL query reads")
    lin.add_argument("name", metavar="CONNECTION")
    lin.add_argument("sql", metavar="SQL")
    exp = commands.add_parser("explain", help="a plain-English outline of a SQL query")
    exp.add_argument("name", metavar="CONNECTION")
    exp.add_argument("sql", metavar="SQL")
    exp.add_argument("--llm", action="store_true", help="also a fuller explanation by the LLM")
    return {"verified": cmd_verified, "lineage": cmd_lineage, "explain": cmd_explain}


def cmd_verified(args, ws) -> int:
    from olympus.errors import ConfigError

    want = {"list": (0, 1), "add": (3, 3), "approve": (1, 1), "delete": (1, 1),
            "recheck": (1, 1)}[args.action]
    if not want[0] <= len(args.args) <= want[1]:
        raise ConfigError(f"`verified {args.action}` takes {want[0]}"
                          f"{'' if want[0] == want[1] else f'-{want[1]}'} argument(s).",
                          title="Wrong arguments", suggestion="See `python -m olympus verified -h`.")
    if args.action == "list":
        return _list(ws, args.args[0] if args.args else None, stale=args.stale, as_json=args.json)
    if args.action == "add":
        saved = ws.save_verified(*args.args, source="cli")
        print(f"Saved verified query {saved.id}; it reads {', '.join(saved.reads) or 'nothing'}.")
    elif args.action == "approve":
        print(f"Approved {ws.approve_verified(args.args[0]).id}.")
    elif args.action == "delete":
        ws.delete_verified(args.args[0])
        print(f"Deleted {args.args[0]}.")
    else:
        ws.schema(args.args[0], refresh=True)  # the refresh re-checks them
        stale = ws.verified_queries(args.args[0], stale=True)
        print(f"{len(stale)} stale verified quer{'y' if len(stale) == 1 else 'ies'}.")
        _print(stale)
    return 0


def _list(ws, name: str | None, *, stale: bool, as_json: bool) -> int:
    import json
    from dataclasses import asdict

    found = ws.verified_queries(name, stale=True if stale else None)
    if as_json:
        print(json.dumps([asdict(q) for q in found], indent=2, default=str))
    else:
        _print(found)
    return 0


def _print(queries) -> None:
    for q in queries:
        flag = f"  STALE: {q.stale_reason}" if q.stale else ""
        print(f"{q.id}  {q.question}{flag}\n    {' '.join(q.sql.split())}")


def cmd_lineage(args, ws) -> int:
    found = ws.lineage(args.name, args.sql, introspect=True)
    for item in found.reads:
        print(item)
    for item in found.missing_tables:
        print(f"unknown table: {item}")
    for item in found.unresolved:
        print(f"unknown column: {item}")
    return 0


def cmd_explain(args, ws) -> int:
    got = ws.explain_sql(args.sql, name=args.name, use_llm=args.llm)
    print("\n".join(got.outline))
    if got.text:
        print(f"\n{got.text}")
    if got.error:
        print(f"\n(The LLM could not explain it: {got.error})")
    return 0
