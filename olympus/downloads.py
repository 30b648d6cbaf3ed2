"""Whole results as files: the query again without the row limit (same guard, read-only session,
byte cap, query and audit logs, cancellable), written straight from its Arrow table to a
temporary file in CSV, Parquet or Excel, one record batch at a time with progress. No pandas."""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Mapping

from olympus.downloads_xlsx import EXCEL_MAX_ROWS, write_xlsx

if TYPE_CHECKING:
    import pyarrow as pa

    from olympus.runner import QueryHandle, QueryResult
    from olympus.workspace import Workspace

FORMATS = {"csv": ("CSV", "text/csv"), "parquet": ("Parquet", "application/vnd.apache.parquet"),
           "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
CHUNK_ROWS = 20_000  # rows written between progress reports (and cancel checks)
KEEP_S = 6 * 3600  # a file older than this in the export folder is a leftover: swept
_FORMULA = r"^[=+\-@\t\r]"  # a text cell a spreadsheet would run as a formula

Progress = Callable[[int, int], None]  # (rows written, rows in all)
Fetch = Callable[["QueryHandle | None"], "QueryResult"]  # the query, given a cancel handle


@dataclass(frozen=True)
class Export:
    """A finished file on disk and what it holds; `note` says when it isn't every row or
    isn't one sheet."""

    path: str
    file_name: str
    mime: str
    rows: int
    size: int
    cut_by: str | None = None  # "bytes" (the result byte cap) | None
    sheets: int = 1  # Excel: a sheet holds EXCEL_MAX_ROWS rows, the rest go on more sheets

    @property
    def data(self) -> bytes:
        """The file's bytes, read when asked (a download), never kept on the object."""
        return Path(self.path).read_bytes()

    def discard(self) -> None:
        """Delete the file (a newer export replaced it, or the session ended)."""
        Path(self.path).unlink(missing_ok=True)

    @property
    def note(self) -> str | None:
        if self.cut_by == "bytes":
            return (f"The download holds the first {self.rows:,} rows: the whole result is "
                    "larger than the size cap. Select fewer or narrower columns, or filter.")
        if self.sheets > 1:
            return (f"An Excel sheet holds at most {EXCEL_MAX_ROWS:,} rows: the {self.rows:,} "
                    f"rows are split over {self.sheets} sheets. CSV or Parquet keep them in one.")
        return None


# ---- fetching: the guarded path, no row limit ----------------------------------------------------
def fetch_all(workspace: "Workspace", name: str, sql: str, *,
              handle: "QueryHandle | None" = None,
              params: Mapping[str, Any] | None = None) -> "QueryResult":
    """Every row the byte cap allows, through Workspace.run_sql like any query."""
    from olympus.workspace import ALL_ROWS

    return workspace.run_sql(name, sql, limit=ALL_ROWS, handle=handle, params=params)


def fetch_cell(workspace: "Workspace", notebook: str, cell: str,
               values: Mapping[str, Any] | None = None, *, handle: "QueryHandle | None" = None,
               expect: str | None = None) -> "QueryResult":
    """A notebook cell's statement as it would run now (upstream cells as CTEs, parameters
    bound by the driver), every row, through Workspace.run_sql. `expect`: the fingerprint of
    the run on screen; a cell changed since then is refused rather than downloaded unseen."""
    from olympus.errors import ConfigError
    from olympus.notebooks.model import index_of
    from olympus.notebooks.run import compile_at, fingerprint, resolve_values, run_compiled_result
    from olympus.workspace import ALL_ROWS

    workspace.principal.require("query")
    nb = workspace.notebook(notebook)
    compiled = compile_at(workspace, nb, index_of(nb, cell), resolve_values(nb, values))
    if expect and fingerprint(compiled) != expect:
        raise ConfigError("The cell, a cell it reads or a parameter changed since this result "
                          "ran.", title="Result out of date",
                          suggestion="Run the cell again, then download all rows.")
    return run_compiled_result(workspace, compiled, limit=ALL_ROWS, handle=handle)


def prepare(fetch: Fetch, fmt: str, *, name: str = "result", handle: "QueryHandle | None" = None,
            on_progress: Progress | None = None, directory: str | None = None) -> Export:
    """Fetch (cancellable through `handle`), then write the file: what a download button runs."""
    check_format(fmt)
    result = fetch(handle)
    if handle is not None:
        handle.check(result.sql)
    return export(result, fmt, name=name, on_progress=on_progress, handle=handle,
                  directory=directory)


# ---- writing ----------------------------------------------------------------------------------
def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown download format {fmt!r}; use one of {', '.join(FORMATS)}.")


def export(result: "QueryResult", fmt: str, *, name: str = "result",
           on_progress: Progress | None = None, handle: "QueryHandle | None" = None,
           directory: str | None = None) -> Export:
    """The result as a temporary file in `fmt` (csv | parquet | xlsx); a cancel through
    `handle` or a failure deletes the partial file."""
    check_format(fmt)
    table = arrow_of(result)
    folder = Path(directory) if directory else export_dir()
    fd, path = tempfile.mkstemp(prefix="olympus-", suffix=f".{fmt}", dir=folder)
    try:
        with os.fdopen(fd, "wb") as sink:
            sheets = write(table, fmt, sink, on_progress=on_progress, handle=handle)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    cut_by = "bytes" if result.truncated_by == "bytes" else None
    return Export(path, f"{name}.{fmt}", FORMATS[fmt][1], table.num_rows,
                  os.path.getsize(path), cut_by, sheets)


def to_bytes(result: "QueryResult", fmt: str) -> bytes:
    """A small result (the rows on screen) as file bytes, in memory."""
    check_format(fmt)
    out = io.BytesIO()
    write(arrow_of(result), fmt, out)
    return out.getvalue()


def write(table: "pa.Table", fmt: str, sink: BinaryIO, *, on_progress: Progress | None = None,
          handle: "QueryHandle | None" = None) -> int:
    """Write `table` to `sink` batch by batch; returns the number of sheets (1 but Excel)."""
    batches = _chunks(table, on_progress or (lambda done, total: None), handle)
    if fmt == "xlsx":
        return write_xlsx(table.schema, batches, sink)
    (write_csv if fmt == "csv" else write_parquet)(table.schema, batches, sink)
    return 1


def arrow_of(result: "QueryResult") -> "pa.Table":
    """The result's Arrow table (a result rebuilt from a frame converts once)."""
    if result.arrow is not None:
        return result.arrow
    import pyarrow as pa

    return pa.Table.from_pandas(result.df, preserve_index=False)


def export_dir() -> Path:
    """Where export files wait for their download; leftovers of crashed sessions are swept."""
    folder = Path(tempfile.gettempdir()) / f"olympus-exports-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - KEEP_S
    for old in folder.glob("olympus-*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return folder


def _chunks(table: "pa.Table", progress: Progress,
            handle: "QueryHandle | None") -> Iterator["pa.RecordBatch"]:
    """Record batches of CHUNK_ROWS (small driver chunks joined: one copy of a batch at a
    time); progress after each one is written, a cancel check before."""
    total = table.num_rows
    progress(0, total)
    for start in range(0, total, CHUNK_ROWS):
        if handle is not None:
            handle.check()
        part = table.slice(start, CHUNK_ROWS).combine_chunks()
        yield from part.to_batches()
        progress(min(start + CHUNK_ROWS, total), total)


def write_csv(schema: "pa.Schema", batches: Iterator["pa.RecordBatch"], sink: BinaryIO) -> None:
    """CSV with a header; text that a spreadsheet would run as a formula gets a leading '."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ["'" + n if re.match(_FORMULA, n) else n for n in schema.names]
    out = pa.schema([pa.field(n, _csv_type(f.type)) for n, f in zip(names, schema)])
    with pacsv.CSVWriter(sink, out) as writer:
        for batch in batches:
            columns = [_csv_column(col, field.type) for col, field in zip(batch.columns, out)]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=out))


def _csv_type(type_: "pa.DataType") -> "pa.DataType":
    """Arrow's CSV writer takes flat values: nested and binary cells go as text."""
    import pyarrow as pa

    nested = pa.types.is_nested(type_) or pa.types.is_binary(type_) or pa.types.is_dictionary(type_)
    return pa.string() if nested or pa.types.is_large_string(type_) else type_


def _csv_column(column: "pa.Array", target: "pa.DataType") -> "pa.Array":
    import pyarrow as pa

    if column.type != target:
        column = text_of(column)
    return _safe_text(column) if pa.types.is_string(target) else column


def text_of(column: "pa.Array") -> "pa.Array":
    """Binary as hex, nested values as JSON, anything else cast to text (Arrow's own form)."""
    import json

    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        return pa.array([None if v is None else v.hex() for v in column.to_pylist()], pa.string())
    if pa.types.is_nested(column.type):
        return pa.array([None if v is None else json.dumps(v, default=str)
                         for v in column.to_pylist()], pa.string())
    return column.cast(pa.string())


def _safe_text(column: "pa.Array") -> "pa.Array":
    import pyarrow.compute as pc

    risky = pc.fill_null(pc.match_substring_regex(column, _FORMULA), False)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def write_parquet(schema: "pa.Schema", batches: Iterator["pa.RecordBatch"],
                  sink: BinaryIO) -> None:
    """Parquet keeps every type (decimals, dates, time zones) as the database gave it."""
    import pyarrow.parquet as pq

    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
