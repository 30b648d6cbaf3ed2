"""`python -m olympus semantic ...`: descriptions and glossary as YAML, and dbt import.

argparse only at import: handlers import lazily (CLI start-up speed matters).
"""

from __future__ import annotations

from typing import Callable


def add_parsers(commands) -> dict[str, Callable]:
    """Add `semantic export|import|dbt`; returns {command: handler(args, ws) -> exit code}."""
    semantic = commands.add_parser("semantic", help="descriptions and glossary: YAML export/import, dbt")
    sub = semantic.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = sub.add_parser("export", help="one connection's descriptions and glossary as YAML")
    export.add_argument("connection")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    load = sub.add_parser("import", help="read YAML written by `semantic export` into a connection")
    load.add_argument("connection")
    load.add_argument("file")
    dbt = sub.add_parser("dbt", help="descriptions from a dbt project (manifest.json or schema.yml)")
    dbt.add_argument("connection")
    dbt.add_argument("path", help="the project directory, its target/manifest.json, or a schema.yml")
    for p in (load, dbt):
        p.add_argument("--json", action="store_true", help="the report as JSON")
    return {"semantic": cmd_semantic}


def cmd_semantic(args, ws) -> int:
    """Run one `semantic` action."""
    if args.action == "export":
        text = ws.export_layer(args.connection)
        if args.output:
            _write(args.output, text)
        else:
            print(text, end="")
        return 0
    if args.action == "import":
        report = ws.import_layer(args.connection, _read(args.file))
    else:
        report = ws.import_dbt(args.connection, args.path)
    _print_report(report, as_json=args.json)
    return 0


def _print_report(report, *, as_json: bool) -> None:
    """What matched, and every name that did not (so a rename is visible)."""
    import json
    from dataclasses import asdict

    if as_json:
        print(json.dumps(asdict(report), indent=2))
        return
    print(f"Imported {report.summary()}")
    for name in report.unmatched_tables:
        print(f"  no table {name}")
    for name in report.unmatched_columns:
        print(f"  no column {name}")


def _read(path: str) -> str:
    from olympus.errors import ConfigError

    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(f"Can't read {path!r}: {exc.strerror}.", title="Unreadable file",
                          suggestion="Check the path.") from None


def _write(path: str, text: str) -> None:
    from olympus.errors import ConfigError

    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"Can't write {path!r}: {exc.strerror}.", title="Unwritable file",
                          suggestion="Choose another path.") from None
