"""`python -m olympus ...`: scripting and acceptance checks through the same Workspace the app uses."""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import logging
import os
import sys
from typing import Callable, Sequence

from olympus import cli_audit, cli_connections, cli_teams
# format_table, _cell, _when, url_params and url_backend: still importable from here
from olympus.cli_format import _cell, _fail, _json_cell, _when, format_table  # noqa: F401
from olympus.errors import ConfigError, OlympusError, UnknownError, redact
from olympus.params import url_backend, url_params  # noqa: F401


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m olympus", description="Olympus: read-only SQL over your databases.",
        epilog="Settings come from the environment: OLYMPUS_HOME, OLYMPUS_STORE_URL, "
               "OLYMPUS_SECRET_KEY, OPENAI_API_KEY, OLYMPUS_MODEL.")
    parser.add_argument("--space", "--owner", dest="owner", metavar="SPACE",
                        help="the space to act in (default: OLYMPUS_OWNER or local)")
    parser.add_argument("--user", default=os.environ.get("OLYMPUS_USER"), metavar="EMAIL",
                        help="act as this member, with their role (default: OLYMPUS_USER; "
                             "none = the operator, admin of the space)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = cli_connections.add_parser(commands)

    schema = commands.add_parser("schema", help="tables and columns of a connection")
    schema.add_argument("name")
    schema.add_argument("--refresh", action="store_true", help="re-read the catalog now")
    schema.add_argument("--json", action="store_true", help="print the catalog snapshot")
    schema.add_argument("--search", metavar="TEXT", default="",
                        help="only tables whose name or description contains TEXT")

    sql = commands.add_parser("sql", help="run one read-only query")
    sql.add_argument("name")
    sql.add_argument("sql", help="one SELECT/WITH statement ('-' reads it from stdin)")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.add_argument("--limit", type=_positive_int, help="maximum rows (default 10000)")
    sql.add_argument("--refresh", action="store_true", help="run it now, past the result cache")

    ask = commands.add_parser("ask", help="ask a question in plain English (needs an LLM key)")
    ask.add_argument("name")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")

    keys = commands.add_parser("keys", help="encryption keys")
    keys_sub = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    keys_sub.add_parser("generate", help="print a new key for OLYMPUS_SECRET_KEY")
    keys_sub.add_parser("rotate", help="re-encrypt every credential with the newest key "
                                       "(NEW,OLD in OLYMPUS_SECRET_KEY or the key file first)")

    demo = commands.add_parser("demo", help="create (or rebuild) the embedded demo database")
    demo.add_argument("--reset", action="store_true", help="regenerate it from scratch")
    cli_teams.add_parsers(commands, sub)
    cli_audit.add_parser(commands)
    for module in EXTENSIONS:  # feature packages add their own commands and handlers
        HANDLERS.update(importlib.import_module(module).add_parsers(commands))
    return parser


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """own_process: this process runs one command and exits (`python -m olympus`), so it may
    skip what a caller's process would need later (numpy, pandas)."""
    if own_process:
        from olympus.cli_startup import cached_argparse_messages

        cached_argparse_messages()
    args = build_parser().parse_args(argv)
    args.own_process = own_process
    logging.basicConfig(level=os.environ.get("OLYMPUS_LOG_LEVEL", "WARNING").upper(),
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.command == "keys" and args.action == "generate":
            from olympus.crypto import generate_key

            print(generate_key())
            return 0
        ws = _workspace(args)
        try:
            return HANDLERS[args.command](args, ws) or 0
        finally:
            ws.close()
    except OlympusError as err:
        if getattr(args, "json", False) or getattr(args, "format", None) == "json":
            # JSON asked for (--json, --format json): failures too, on stdout
            print(json.dumps({"error": err.to_dict()}, indent=2, default=str))
        return _fail(err)
    except KeyboardInterrupt:
        return _fail(UnknownError("Interrupted.", title="Stopped", suggestion="Run it again."))
    except Exception as exc:  # a bug: still one clean line, the traceback only on request
        if os.environ.get("OLYMPUS_DEBUG"):
            raise
        return _fail(UnknownError(redact(f"{type(exc).__name__}: {exc}").splitlines()[0][:300],
                                  suggestion="Set OLYMPUS_DEBUG=1 for the full traceback."))


def _workspace(args):
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.check_key()  # a wrong key stops every command before anything runs
    principal = None
    if args.user:  # a member: their space and role decide what they may do
        from olympus.store_teams import Teams
        from olympus.teams import principal_for

        space = Teams(store).space_id(args.owner) if args.owner else None
        principal = principal_for(store, settings, args.user, space)
    return Workspace(store, args.owner or settings.owner, settings=settings, principal=principal)


# ---- schema, sql, ask -------------------------------------------------------------------------
def cmd_schema(args, ws) -> int:
    def progress(message: str, fraction: float) -> None:
        print(f"{message}… {int(fraction * 100)}%", file=sys.stderr, flush=True)

    catalog = ws.schema(args.name, refresh=args.refresh, progress=progress)
    if args.json:  # the FEAT-001 snapshot, as the store keeps it
        import orjson  # indented like every other --json output

        sys.stdout.write(orjson.dumps(orjson.loads(catalog.to_json()),
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    named, described = catalog.find(args.search)  # name matches first, as on the Schema page
    rows = [[t.qualified_name, t.kind or "",
             "" if t.row_count_estimate is None else str(t.row_count_estimate),
             str(len(t.columns)), (t.description or "")[:60]] for t in named + described]
    print(format_table(["table", "kind", "rows (est.)", "columns", "description"], rows))
    how = (f" ({len(named)} by name, then {len(described)} by description only)"
           if args.search.strip() and described else "")
    print(f"{len(rows)} of {len(catalog.tables)} tables{how}, introspected "
          f"{catalog.introspected_at}", file=sys.stderr)
    return 0


def cmd_sql(args, ws) -> int:
    if getattr(args, "own_process", False):  # printing rows needs no DataFrame
        from olympus.cli_startup import lean_arrow

        lean_arrow()
    statement = sys.stdin.read() if args.sql == "-" else args.sql
    result = ws.run_sql(args.name, statement, limit=args.limit, refresh=args.refresh)
    data = result.to_dict()
    if args.format == "json":  # strict JSON (NaN/Infinity as strings), indented like --json
        data["rows"] = [[_json_cell(v) for v in row] for row in data["rows"]]
        print(json.dumps(data, default=str, indent=2, allow_nan=False))
        return 0
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(data["columns"])
        writer.writerows([["" if v is None else v for v in row] for row in data["rows"]])
    else:
        print(format_table(data["columns"], [[_cell(v) for v in row] for row in data["rows"]]))
    more = " (truncated: more rows exist; raise --limit)" if data["truncated"] else ""
    if result.truncated_by == "bytes":
        more = " (truncated: the result reached the size cap, OLYMPUS_RESULT_MAX_BYTES)"
    if result.cached_at is not None:
        from olympus.notebooks.cache import age_text

        more += f" (from cache, {age_text(result.cached_at)}; --refresh runs it again)"
    print(f"{data['row_count']} row(s) in {data['elapsed_ms']} ms{more}", file=sys.stderr)
    return 0


def cmd_ask(args, ws) -> int:
    try:
        from olympus.agent import ask as agent_ask
    except ImportError:
        raise ConfigError("The question-answering agent is not available in this build.",
                          title="Agent not configured",
                          suggestion='Run SQL directly: python -m olympus sql NAME "SELECT ..."')
    answer = agent_ask(ws, args.name, args.question)  # no LLM key: raises LLMNotConfigured
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, default=str))
    if answer.error is not None:
        return _fail(answer.error)
    if not args.json:
        data = answer.result.to_dict()
        print(answer.answer or "", answer.sql, "", sep="\n")
        print(format_table(data["columns"], [[_cell(v) for v in row] for row in data["rows"]]))
        print(f"{data['row_count']} row(s) in {data['elapsed_ms']} ms", file=sys.stderr)
        for i, tried in enumerate(answer.attempts, 1):  # transparent: what failed first, and why
            print(f"Attempt {i} failed: {tried.error}\n  {' '.join(tried.sql.split())}",
                  file=sys.stderr)
        if answer.follow_ups:
            print("Follow-up questions:", *(f"  {q}" for q in answer.follow_ups), sep="\n",
                  file=sys.stderr)
    return 0


def cmd_keys(args, ws) -> int:
    keyring = ws.store.keyring()  # OLYMPUS_SECRET_KEY, else the key file: say which one
    where = ("OLYMPUS_SECRET_KEY" if ws.settings.secret_keys
             else f"{ws.settings.key_file} (OLYMPUS_SECRET_KEY is not set)")
    count = ws.store.rotate_keys()
    if keyring.size > 1:
        print(f"Re-encrypted {count} connection(s) with the newest key. You can now drop the "
              f"old key(s) from {where}, keeping only the first.")
    elif ws.settings.secret_keys:
        print(f"Re-encrypted {count} connection(s); there is only one key, so nothing else "
              "changed. To rotate: set OLYMPUS_SECRET_KEY=NEW,OLD (a new key from `keys "
              "generate`), run `keys rotate`, then keep only NEW.")
    else:
        print(f"Re-encrypted {count} connection(s); there is only one key, so nothing else "
              f"changed. The current key is in {where}. To rotate it: put a new key (from "
              "`keys generate`) in front of it in that file, as NEW,OLD on one line; run `keys "
              "rotate`; then leave only NEW in the file. Back the file up: without it the "
              "saved credentials can't be read.")
    return 0


def cmd_demo(args, ws) -> int:
    from olympus import demo

    record = ws.ensure_demo(reset=args.reset)
    state = "Built" if ws.demo_built else "Already there:"
    print(f"{state} the demo database at {record.params['path']}, registered as "
          f"connection {record.name!r}.\n{demo.DESCRIPTION}\nTry: python -m olympus sql "
          f"{record.name} \"select count(*) from loans\"")
    return 0


HANDLERS: dict[str, Callable] = {"connections": cli_connections.cmd_connections,
                                 "schema": cmd_schema, "sql": cmd_sql, "ask": cmd_ask,
                                 "keys": cmd_keys, "demo": cmd_demo, "spaces": cli_teams.cmd_spaces,
                                 "audit": cli_audit.cmd_audit}


EXTENSIONS = ("olympus.notebooks.cli", "olympus.semantic.cli", "olympus.ops.cli")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value
