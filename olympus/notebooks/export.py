"""Export a notebook as a file: .sql (commented SQL, parameters declared), a self-contained
HTML report, or a Jupyter .ipynb. Every name, note and value in it is untrusted text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from olympus.errors import ConfigError
from olympus.notebooks.model import Cell, Notebook, Param

if TYPE_CHECKING:
    from olympus.notebooks.run import CellRun

FORMATS = {"sql": "application/sql", "html": "text/html", "ipynb": "application/x-ipynb+json"}


@dataclass(frozen=True)
class Export:
    """A file to download or write: its suggested name, media type and bytes."""

    filename: str
    media_type: str
    data: bytes


def export(notebook: Notebook, to: str, *, results: Iterable["CellRun"] | None = None,
           values: Mapping[str, Any] | None = None) -> Export:
    """The notebook in one format; `results` (a run's cells) adds tables and charts."""
    to = str(to or "").lower().lstrip(".")
    if to not in FORMATS:
        raise ConfigError(f"Can't export to {to!r}.", title="Unknown format", fields=("to",),
                          suggestion=f"Formats: {', '.join(FORMATS)}.")
    runs = {r.cell_id: r for r in results or ()}
    if to == "sql":
        text = to_sql(notebook, values)
    elif to == "html":
        from olympus.notebooks.export_html import to_html

        text = to_html(notebook, runs, values)
    else:
        from olympus.notebooks.export_ipynb import to_ipynb

        text = to_ipynb(notebook, runs, values)
    return Export(f"{slug(notebook.name)}.{to}", FORMATS[to], text.encode("utf-8"))


def slug(name: str) -> str:
    """A safe file name stem from an untrusted notebook name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "notebook"


def one_line(text: Any) -> str:
    """Untrusted text for a one-line comment or heading: no line breaks."""
    return " ".join(str(text if text is not None else "").split())


def param_line(param: Param, values: Mapping[str, Any] | None) -> str:
    value = (values or {}).get(param.name, param.default)
    label = f" - {one_line(param.label)}" if param.label else ""
    return f"{param.name} ({param.kind}) = {json.dumps(value, default=str)}{label}"


def exported_at() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ---- .sql ----------------------------------------------------------------------------------------
def to_sql(notebook: Notebook, values: Mapping[str, Any] | None = None) -> str:
    """Cells in order: SQL as written (with its {{name}} references), notes and questions as
    comments, parameters declared at the top."""
    lines = [f"-- Notebook: {one_line(notebook.name)}",
             f"-- Exported from Olympus on {exported_at()}",
             "-- {{name}} reads an earlier cell (Olympus compiles it into a CTE) or a parameter",
             "-- (bound as a driver parameter, never pasted into the SQL).", "--"]
    if notebook.params:
        lines.append("-- Parameters:")
        lines += [f"--   {one_line(param_line(p, values))}" for p in notebook.params]
        lines.append("--")
    for cell in notebook.cells:
        lines += ["", *_sql_cell(cell)]
    return "\n".join(lines) + "\n"


def _sql_cell(cell: Cell) -> list[str]:
    where = f" on {one_line(cell.connection)}" if cell.connection else ""
    head = [f"-- [{cell.kind}] {cell.name}{where}"]
    if cell.kind == "note":
        return head + [f"-- {line}".rstrip() for line in cell.markdown.splitlines()]
    if cell.kind == "question":
        head.append(f"-- question: {one_line(cell.question)}")
    sql = cell.sql.strip().rstrip(";").strip()
    if not sql:
        return head + ["-- (no SQL yet)"]
    ends_in_comment = "--" in sql.splitlines()[-1]
    return head + [sql + ("\n;" if ends_in_comment else ";")]
