"""The handlers of `python -m olympus notebook ...` (imported only when that command runs)."""

from __future__ import annotations

import json
import sys
from typing import Any

from olympus.cli import _cell, _when, format_table
from olympus.errors import ConfigError


def list_(args, ws) -> int:
    notebooks = ws.notebooks()
    if args.json:
        print(json.dumps([{"id": n.id, "name": n.name, "cells": len(n.cells),
                           "version": n.version, "updated_at": n.updated_at,
                           "updated_by": n.updated_by} for n in notebooks], default=str))
        return 0
    if not notebooks:
        print("No notebooks yet.", file=sys.stderr)
        return 0
    print(format_table(["name", "cells", "version", "updated", "by"],
                       [[n.name, str(len(n.cells)), str(n.version), _when(n.updated_at),
                         n.updated_by or ""] for n in notebooks], width=60))
    return 0


def show(args, ws) -> int:
    from olympus.notebooks.notebook_doc import to_doc

    notebook = ws.notebook(args.name)
    if args.json:
        print(json.dumps({"id": notebook.id, "name": notebook.name, "version": notebook.version,
                          **to_doc(notebook)}, indent=2, default=str))
        return 0
    print(f"{notebook.name} (version {notebook.version}, {len(notebook.cells)} cells)")
    for param in notebook.params:
        print(f"  parameter {param.name} ({param.kind}) = "
              f"{json.dumps(param.default, default=str)}")
    stale = ws.stale_cells(notebook.id) if ws.principal.can("view") else {}
    for i, cell in enumerate(notebook.cells, 1):
        where = f" on {cell.connection}" if cell.connection else ""
        state = f" [{stale[cell.name]}]" if cell.name in stale else ""
        print(f"\n[{i}] {cell.kind} {cell.name}{where}{state}")
        body = cell.markdown if cell.kind == "note" else cell.sql or f"-- {cell.question}"
        print("\n".join(f"    {line}" for line in body.splitlines()))
    return 0


def parse_params(pairs: list[str]) -> dict[str, str]:
    """--param K=V pairs (V may hold '=')."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r} is not KEY=VALUE.", title="Bad parameter",
                              suggestion="Write e.g. --param period=2024-01-01..2024-06-30.")
        out[key.strip()] = value
    return out


def run(args, ws) -> int:
    def progress(i: int, n: int, cell) -> None:
        if cell.kind != "note":
            print(f"[{i + 1}/{n}] {cell.name}", file=sys.stderr)

    done = ws.run_all(args.name, parse_params(args.param), progress=progress, limit=args.limit,
                      local=args.local)
    if args.format == "json":
        print(json.dumps({"notebook": done.notebook.name, "version": done.notebook.version,
                          "ok": done.ok, "cells": [_cell_json(c) for c in done.cells]},
                         default=str))
    else:
        for cell in done.cells:
            _print_cell(cell)
    failed = [c for c in done.cells if c.status in ("error", "cancelled")]
    for cell in failed:
        error = cell.error
        text = f"{error.title}: {error.message}" if error else cell.status
        print(f"Cell {cell.name} failed: {' '.join(text.split())}", file=sys.stderr)
    return 1 if failed or done.cancelled else 0


def _cell_json(run) -> dict[str, Any]:
    out: dict[str, Any] = {"name": run.name, "kind": run.kind, "status": run.status,
                           "sql": run.sql or None}
    if run.result is not None:
        out.update(run.result.to_dict())
        out["sql"] = run.sql
    if run.answer:
        out["answer"] = run.answer
    if run.error is not None:
        out["error"] = run.error.to_dict()
    return out


def _print_cell(run) -> None:
    if run.kind == "note" or run.result is None:
        return
    data = run.result.to_dict()
    print(f"\n== {run.name} ({data['row_count']} row(s))")
    if run.answer:
        print(run.answer)
    print(format_table(data["columns"], [[_cell(v) for v in row] for row in data["rows"]]))


def export(args, ws) -> int:
    made = ws.export_notebook(args.name, args.to, values=parse_params(args.param),
                              run=False if args.no_run else None, local=args.local)
    if not args.output or args.output == "-":
        sys.stdout.buffer.write(made.data)
        sys.stdout.flush()
        return 0
    try:
        with open(args.output, "wb") as out:
            out.write(made.data)
    except OSError as exc:
        raise ConfigError(f"Can't write {args.output!r}: {exc.strerror}.", title="Can't write",
                          suggestion="Check the folder exists and you may write there.") from None
    print(f"Wrote {args.output} ({len(made.data):,} bytes)", file=sys.stderr)
    return 0
