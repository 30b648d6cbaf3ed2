"""`python -m olympus connections ...`: add, list, test, remove and allow, with the parameter
sources (--param, --url, stdin, environment) that keep secrets out of shell history."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from olympus import cli_teams
from olympus.cli_format import _describe, _fail, _when, format_table
from olympus.errors import ConfigError
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


def add_parser(commands) -> argparse._SubParsersAction:
    """The `connections` command; returns its actions, which cli_teams adds `grant` to."""
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
    return sub


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
