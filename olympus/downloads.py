"""Whole results as files: the query again without the row limit (same guard, read-only session,
byte cap, query and audit logs), written as CSV, Parquet or Excel in chunks with progress."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import pyarrow as pa

    from olympus.runner import QueryResult
    from olympus.workspace import Workspace

FORMATS = {"csv": ("CSV", "text/csv"), "parquet": ("Parquet", "application/vnd.apache.parquet"),
           "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
CHUNK_ROWS = 5_000  # rows written between progress reports
_FORMULA = r"^[=+\-@\t\r]"  # a text cell a spreadsheet would run as a formula

Progress = Callable[[int, int], None]  # (rows written, rows in all)


@dataclass(frozen=True)
class Export:
    """A finished file and what it holds; `note` says when it isn't every row."""

    data: bytes
    file_name: str
    mime: str
    rows: int
    cut_by: str | None = None  # "bytes" (the result byte cap) | "excel" (sheet size) | None

    @property
    def note(self) -> str | None:
        if self.cut_by == "bytes":
            return (f"The download holds the first {self.rows:,} rows: the whole result is "
                    "larger than the size cap. Select fewer or narrower columns, or filter.")
        if self.cut_by == "excel":
            return (f"An Excel sheet holds at most {EXCEL_MAX_ROWS:,} rows: the file has the "
                    "first ones. Choose CSV or Parquet for every row.")
        return None


def fetch_all(workspace: "Workspace", name: str, sql: str) -> "QueryResult":
    """Every row the byte cap allows, through Workspace.run_sql like any query."""
    from olympus.workspace import ALL_ROWS

    return workspace.run_sql(name, sql, limit=ALL_ROWS)


def export(result: "QueryResult", fmt: str, *, name: str = "result",
           on_progress: Progress | None = None) -> Export:
    """The result as a file in `fmt` (csv | parquet | xlsx)."""
    import pyarrow as pa

    if fmt not in FORMATS:
        raise ValueError(f"Unknown download format {fmt!r}; use one of {', '.join(FORMATS)}.")
    table = pa.Table.from_pandas(result.df, preserve_index=False)
    cut_by = "bytes" if result.truncated_by == "bytes" else None
    if fmt == "xlsx" and table.num_rows > EXCEL_MAX_ROWS:
        table, cut_by = table.slice(0, EXCEL_MAX_ROWS), "excel"
    writer = {"csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}[fmt]
    data = writer(table, on_progress or (lambda done, total: None))
    return Export(data, f"{name}.{fmt}", FORMATS[fmt][1], table.num_rows, cut_by)


def _chunks(table: "pa.Table", progress: Progress):
    done = 0
    progress(0, table.num_rows)
    for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
        yield batch
        done += batch.num_rows
        progress(done, table.num_rows)


def write_csv(table: "pa.Table", progress: Progress) -> bytes:
    """CSV with a header; text that a spreadsheet would run as a formula gets a leading '."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [_safe_text(pa.array([n])).to_pylist()[0] for n in table.column_names]
    schema = pa.schema([pa.field(n, _csv_type(f.type)) for n, f in zip(names, table.schema)])
    out = io.BytesIO()
    with pacsv.CSVWriter(out, schema) as writer:
        for batch in _chunks(table, progress):
            columns = [_csv_column(col, field.type) for col, field in zip(batch.columns, schema)]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
    return out.getvalue()


def _csv_type(type_: "pa.DataType") -> "pa.DataType":
    """Arrow's CSV writer takes flat values: nested and binary cells go as text."""
    import pyarrow as pa

    nested = pa.types.is_nested(type_) or pa.types.is_binary(type_) or pa.types.is_dictionary(type_)
    return pa.string() if nested or pa.types.is_large_string(type_) else type_


def _csv_column(column: "pa.Array", target: "pa.DataType") -> "pa.Array":
    import json

    import pyarrow as pa

    if column.type != target:
        if pa.types.is_binary(column.type):
            column = pa.array([None if v is None else v.hex() for v in column.to_pylist()])
        elif pa.types.is_nested(column.type):
            column = pa.array([None if v is None else json.dumps(v, default=str)
                               for v in column.to_pylist()], pa.string())
        column = column.cast(target)
    return _safe_text(column) if pa.types.is_string(target) else column


def _safe_text(column: "pa.Array") -> "pa.Array":
    import pyarrow.compute as pc

    risky = pc.fill_null(pc.match_substring_regex(column, _FORMULA), False)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def write_parquet(table: "pa.Table", progress: Progress) -> bytes:
    """Parquet keeps every type (decimals, dates, time zones) as the database gave it."""
    import pyarrow.parquet as pq

    out = io.BytesIO()
    with pq.ParquetWriter(out, table.schema, compression="zstd") as writer:
        for batch in _chunks(table, progress):
            writer.write_batch(batch)
    return out.getvalue()


def write_xlsx(table: "pa.Table", progress: Progress) -> bytes:
    """One sheet, written row by row in constant memory; text is never a formula or a link."""
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="olympus-xlsx-") as tmp:
        path = Path(tmp) / "result.xlsx"
        book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "remove_timezone": True, "nan_inf_to_errors": True,
            "tmpdir": tmp})
        sheet = book.add_worksheet("Result")
        formats = [_excel_format(book, f.type) for f in table.schema]
        sheet.write_row(0, 0, table.column_names, book.add_format({"bold": True}))
        row = 1
        for batch in _chunks(table, progress):
            for values in zip(*(_excel_values(c) for c in batch.columns)):
                for col, value in enumerate(values):
                    if value is not None:
                        sheet.write(row, col, value, formats[col])
                row += 1
        book.close()
        return path.read_bytes()


def _excel_format(book, type_: "pa.DataType"):
    import pyarrow as pa

    if pa.types.is_timestamp(type_):
        return book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    if pa.types.is_date(type_):
        return book.add_format({"num_format": "yyyy-mm-dd"})
    return None


def _excel_values(column: "pa.Array") -> list:
    """Cells Excel can hold: decimals as numbers, times and nested values as text."""
    import datetime as dt
    import json
    from decimal import Decimal

    def cell(v):
        if v is None or isinstance(v, (bool, int, float, str, dt.date)):
            return v  # datetime is a date too
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, bytes):
            return v.hex()
        if isinstance(v, (list, dict)):
            return json.dumps(v, default=str)
        return str(v)  # time, timedelta, anything else
    return [cell(v) for v in column.to_pylist()]
