"""`python -m olympus ...`: scripting and acceptance checks through the same Workspace the app uses."""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import logging
import os
import sys
from typing import Any, Callable, Sequence

from olympus import cli_audit, cli_teams
from olympus.errors import ConfigError, OlympusError, UnknownError, redact
from olympus.params import url_backend, url_params

SECRETS_HELP = """\
Keeping secrets out of shell history:
  --param password=-             read the value from stdin (one line per '-', in order)
  --param password=@env:PGPASS   read the value from the environment variable PGPASS
  OLYMPUS_PARAM_PASSWORD=...     any field may come from OLYMPUS_PARAM_<FIELD> when not given
  --url -  /  --url @env:VAR     the same for a whole URL; its password is stored encrypted
Secrets are encrypted with OLYMPUS_SECRET_KEY (or OLYMPUS_HOME/secret.key, created on first use).
"""
ADD_EPILOG = SECRETS_HELP + """
The connection is tested first and only saved if the test passes. --save-untested saves it even
when the test fails; --no-test skips the test.

Examples:
  python -m olympus connections add warehouse --url postgresql://me@db.example.com:5432/sales \\
      --param password=@env:PGPASSWORD
  python -m olympus connections add local --type duckdb --param path=~/data/shop.duckdb
"""
STATUS = {"ok": "ok", "failed": "FAILED", None: "untested"}


def _type_names() -> list[str]:
    """Every registered type with its aliases, read from the connector classes."""
    from olympus.connectors import all_classes

    return [c.type + (f" ({'/'.join(c.aliases)})" if c.aliases else "") for c in all_classes()]


TYPES = "{connector types}"  # in --type's help, filled in only when help is shown


class _AddHelp(argparse.RawDescriptionHelpFormatter):
    """Names the database types only when help is shown: importing every connector to build
    the parser would slow down every command."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        return text.replace(TYPES, ", ".join(_type_names())) if text else text


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

    conns = commands.add_parser("connections", help="add, list, test and remove connections")
    sub = conns.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="test and save a connection", epilog=ADD_EPILOG,
                         formatter_class=_AddHelp)
    add.add_argument("name")
    add.add_argument("--type", help=f"{TYPES} (guessed from --url when omitted)")
    add.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="any field of the connector, secrets included (VALUE '-' = stdin, "
                          "'@env:VAR' = environment)")
    add.add_argument("--url", help="a full URL; its password is stored encrypted")
    add.add_argument("--save-untested", action="store_true", help="save even if the test fails")
    add.add_argument("--no-test", action="store_true", help="save without testing")
    add.add_argument("--require-read-only-role", dest="require_read_only_role",
                     action="store_true", default=None,
                     help="refuse credentials that can write or run server programs (default "
                          "when OLYMPUS_AUTH is set)")
    add.add_argument("--allow-risky-role", dest="require_read_only_role", action="store_false",
                     help="save such credentials with a warning (default without sign-in)")
    add.add_argument("--json", action="store_true", help="print the saved connection and test")
    lst = sub.add_parser("list", help="connections with their status")
    lst.add_argument("--json", action="store_true")
    test = sub.add_parser("test", help="test a connection and record the result")
    test.add_argument("name")
    test.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="delete a connection")
    remove.add_argument("name")
    types = sub.add_parser("types", help="every database type with its fields")
    types.add_argument("--json", action="store_true")
    allow = sub.add_parser("allow", help="functions the guard may pass on this connection "
                                         "(beyond those the database vouches for)")
    allow.add_argument("name")
    allow.add_argument("functions", nargs="*", metavar="FUNCTION",
                       help="the full list to allow; none lists the current ones")
    allow.add_argument("--clear", action="store_true", help="allow no extra functions")

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


def _fail(err: OlympusError) -> int:
    line = f"{err.title}: {err.message}"
    if err.suggestion:
        line += f" — {err.suggestion}"
    print(" ".join(line.split()), file=sys.stderr)
    recipe = getattr(err, "recipe", None)  # RiskyCredentials: the read-only role to create
    if recipe:
        print(f"\n{recipe}", file=sys.stderr)
    return 1


def _privilege_warning(type_: str, result) -> None:
    """After a working test: what the credentials may do beyond reading, and the recipe."""
    from olympus.connectors import connector_class
    from olympus.read_only import warning

    if result is None or not result.ok:
        return
    recipe = connector_class(type_).read_only_role_recipe
    if result.risky:
        print(f"Warning: {warning(result.risky)}\n\n{recipe}", file=sys.stderr)
    elif result.risky is None and recipe:
        print("Note: Olympus can't tell what these credentials may do beyond reading; use a "
              f"read-only role:\n\n{recipe}", file=sys.stderr)


# ---- connections ----------------------------------------------------------------------------
def cmd_connections(args, ws) -> int:
    return {"add": _add, "list": _list, "test": _test, "remove": _remove,
            "allow": _allow, "grant": cli_teams.cmd_grant, "types": _types}[args.action](args, ws)


def _types(args, ws) -> int:
    """Fields per database, from the connector classes (what --param accepts)."""
    from olympus.connectors import all_classes

    rows = [{"type": c.type, "aliases": list(c.aliases), "label": c.label,
             "fields": [{"name": f.name, "label": f.label, "required": f.required,
                         "secret": f.secret, "default": f.default, "help": f.help}
                        for f in c.fields]} for c in all_classes()]
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        print(f"{row['type']}  ({row['label']})")
        for f in row["fields"]:
            notes = ", ".join(n for n, on in (("required", f["required"]), ("secret", f["secret"]))
                              if on)
            default = f" [default {f['default']}]" if f["default"] is not None else ""
            print(f"  --param {f['name']}=...  {f['label']}{default}" +
                  (f"  ({notes})" if notes else ""))
    return 0


def _allow(args, ws) -> int:
    record = ws.allow_functions(args.name, ()) if args.clear else \
        ws.allow_functions(args.name, args.functions) if args.functions else ws.get(args.name)
    print(", ".join(record.allowed_functions) or "(none)")
    return 0


def _add(args, ws) -> int:
    from olympus.connectors import connector_class

    params: dict[str, Any] = {}
    url = _resolve(args.url) if args.url else None
    type_ = args.type or (url_backend(url) if url else None)
    if not type_:
        raise ConfigError("Say which kind of database this is.", title="Missing --type",
                          suggestion="Add --type postgresql (or duckdb, sqlite, snowflake, ...).")
    cls = connector_class(type_)
    if url:
        params.update(url_params(cls, url))
    params.update(_env_params(cls, exclude=params))
    params.update(_cli_params(args.param))
    try:
        record, result = ws.add_connection(args.name, cls.type, params,
                                           test_first=not args.no_test,
                                           save_untested=args.save_untested,
                                           require_read_only_role=args.require_read_only_role)
    except ConfigError as exc:
        raise _name_flags(exc) from None
    if record is None:
        err = result.error
        raise type(err)(err.message, title=err.title,
                        suggestion=f"{err.suggestion} Not saved (--save-untested keeps it anyway).")
    if args.json:
        print(json.dumps({"connection": record.to_dict(),
                          "test": result.to_dict() if result is not None else None}, indent=2))
    else:
        print(f"Saved connection {record.name!r} ({cls.label}){_describe(result)}.")
    _privilege_warning(cls.type, result)
    if result is not None and not result.ok:
        print(f"Warning: saved untested. {result.error.title}: {result.error.message}",
              file=sys.stderr)
    return 0


def _name_flags(exc: ConfigError) -> ConfigError:
    """The connector's validate names its fields: say which --param to add or fix."""
    if not exc.fields:
        return exc
    flags = ", ".join(f"--param {name}=..." for name in exc.fields)
    env = " / ".join(f"OLYMPUS_PARAM_{name.upper()}" for name in exc.fields)
    exc.suggestion = (f"Add {flags} (or set {env})."
                      if exc.missing else f"Check {flags}. {exc.suggestion or ''}".strip())
    return exc


def _list(args, ws) -> int:
    records = ws.connections()
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
        return 0
    if not records:
        print("No connections yet. Add one with `python -m olympus connections add` "
              "or try `python -m olympus demo`.")
        return 0
    rows = [[r.name, r.type, STATUS.get(r.last_test_status, r.last_test_status),
             _when(r.last_tested_at), "" if r.table_count is None else str(r.table_count),
             _when(r.last_used), r.target] for r in records]
    print(format_table(["name", "type", "status", "tested", "tables", "used", "target"], rows))
    return 0


def _test(args, ws) -> int:
    result = ws.test_connection(args.name)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    if not result.ok:
        return _fail(result.error)
    if not args.json:
        print(f"OK{_describe(result)}.")
    _privilege_warning(ws.get(args.name).type, result)
    return 0


def _remove(args, ws) -> int:
    record = ws.remove_connection(args.name)
    print(f"Removed connection {record.name!r}.")
    return 0


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


HANDLERS: dict[str, Callable] = {"connections": cmd_connections, "schema": cmd_schema,
                                 "sql": cmd_sql, "ask": cmd_ask, "keys": cmd_keys,
                                 "demo": cmd_demo, "spaces": cli_teams.cmd_spaces,
                                 "audit": cli_audit.cmd_audit}


EXTENSIONS = ("olympus.notebooks.cli", "olympus.semantic.cli", "olympus.ops.cli")


# ---- parameter sources ------------------------------------------------------------------------
def _resolve(value: str) -> str:
    """'-' reads a line from stdin, '@env:VAR' reads the environment; anything else is literal."""
    if value == "-":
        line = sys.stdin.readline()
        if not line:
            raise ConfigError("Expected a value on stdin but got nothing.", title="Missing input")
        return line.rstrip("\r\n")
    if value.startswith("@env:"):
        name = value[5:]
        if name not in os.environ:
            raise ConfigError(f"The environment variable {name} is not set.",
                              title="Missing input", suggestion=f"export {name}=... first.")
        return os.environ[name]
    return value


def _cli_params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param needs KEY=VALUE (got {pair.split('=')[0]!r}...).",
                              title="Bad --param", suggestion="e.g. --param host=db.example.com")
        out[key.strip()] = _resolve(value)
    return out


def _env_params(cls, *, exclude) -> dict[str, str]:
    return {f.name: os.environ[f"OLYMPUS_PARAM_{f.name.upper()}"] for f in cls.fields
            if f.name not in exclude and os.environ.get(f"OLYMPUS_PARAM_{f.name.upper()}")}


# ---- output -----------------------------------------------------------------------------------
def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int = 40) -> str:
    """Plain aligned columns (no extra dependency); long cells are cut with an ellipsis."""
    cut = [[c if len(c) <= width else c[: width - 1] + "…" for c in map(str, row)] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cut]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cut)])


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _json_cell(value: Any) -> Any:
    """NaN and ±Infinity have no JSON number: spelt as strings, the way PostgreSQL's to_json does."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return value


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _describe(result) -> str:
    if result is None:
        return ", not tested"
    bits = [b for b in (result.server_version, result.database) if b]
    return f" — {', '.join(bits)}, {result.latency_ms:.0f} ms" if result.ok else " (test failed)"
