"""Excel from Arrow record batches in constant memory (XlsxWriter): numbers, dates and times
converted in Arrow, one typed write per cell, text never a formula or a link, and a new sheet
(header repeated) every EXCEL_MAX_ROWS rows rather than a cut."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO, Iterable

if TYPE_CHECKING:
    import pyarrow as pa

EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
_UNIX_DAY = 25_568  # 1970-01-01 counted from Excel's day 0 (1899-12-31)
_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "nan_inf_to_errors": True}


def write_xlsx(schema: "pa.Schema", batches: Iterable["pa.RecordBatch"], sink: BinaryIO) -> int:
    """Write every batch; returns the number of sheets used."""
    import xlsxwriter

    book = xlsxwriter.Workbook(sink, dict(_OPTIONS))
    try:
        book_formats = _formats(book, schema)
        sheets: list[Any] = []
        row = EXCEL_MAX_ROWS + 1  # no sheet yet
        for batch in batches:
            start = 0
            while start < batch.num_rows:
                if row > EXCEL_MAX_ROWS:
                    sheets.append(_new_sheet(book, schema, len(sheets) + 1))
                    row = 1
                take = min(batch.num_rows - start, EXCEL_MAX_ROWS + 1 - row)
                _write_rows(sheets[-1], batch.slice(start, take), row, book_formats)
                row, start = row + take, start + take
        if not sheets:
            _new_sheet(book, schema, 1)
    finally:
        book.close()
    return max(1, len(sheets))


def _new_sheet(book, schema: "pa.Schema", number: int):
    sheet = book.add_worksheet("Result" if number == 1 else f"Result {number}")
    bold = book.add_format({"bold": True})
    for col, name in enumerate(schema.names):
        sheet.write_string(0, col, name, bold)
    return sheet


def _formats(book, schema: "pa.Schema") -> list:
    """A number format per column: dates and timestamps are day numbers shown as dates."""
    import pyarrow as pa

    shown = []
    for field in schema:
        if pa.types.is_timestamp(field.type):
            shown.append(book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
        elif pa.types.is_date(field.type):
            shown.append(book.add_format({"num_format": "yyyy-mm-dd"}))
        else:
            shown.append(None)
    return shown


def _write_rows(sheet, batch: "pa.RecordBatch", first_row: int, formats: list) -> None:
    """One typed write per non-null cell (write_number, write_string ...): no type sniffing."""
    writers, columns = [], []
    for column, fmt in zip(batch.columns, formats):
        kind, values = cells(column)
        writers.append((getattr(sheet, kind), fmt))
        columns.append(values)
    for row, values in enumerate(zip(*columns), start=first_row):
        for col, value in enumerate(values):
            if value is not None:
                method, fmt = writers[col]
                method(row, col, value, fmt)


def cells(column: "pa.Array") -> tuple[str, list]:
    """(the sheet's write method, Python values): numbers as floats, dates and timestamps as
    Excel day numbers (wall-clock time in the column's zone), everything else as text."""
    import pyarrow as pa

    type_ = column.type
    if pa.types.is_dictionary(type_):
        return cells(column.dictionary_decode())
    if pa.types.is_boolean(type_):
        return "write_boolean", column.to_pylist()
    if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "write_number", column.cast(pa.float64(), safe=False).to_pylist()
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_):
        return "write_number", _day_numbers(column).to_pylist()
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return "write_string", column.to_pylist()
    from olympus.downloads import text_of

    return "write_string", text_of(column).to_pylist()


def _day_numbers(column: "pa.Array") -> "pa.Array":
    """Dates and timestamps as Excel serial days (its 1900 leap-year quirk included)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        if column.type.tz:
            column = pc.local_timestamp(column)
        micros = column.cast(pa.timestamp("us")).cast(pa.int64())
        days = pc.divide(micros.cast(pa.float64()), 86_400e6)
    else:
        days = column.cast(pa.date32()).cast(pa.int32()).cast(pa.float64())
    serial = pc.add(days, float(_UNIX_DAY))
    return pc.if_else(pc.greater(serial, 59.0), pc.add(serial, 1.0), serial)
