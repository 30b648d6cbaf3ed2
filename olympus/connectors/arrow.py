"""Rows from a DBAPI cursor as Arrow, for drivers without an Arrow result path of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import pyarrow as pa


def rows_to_arrow(names: list[str], rows: list) -> "pa.Table":
    """Column-wise Arrow conversion; a column of mixed Python types falls back to strings."""
    import pyarrow as pa

    names = dedupe(names)
    columns = list(zip(*rows)) if rows else [() for _ in names]
    arrays = []
    for values in columns:
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    return pa.Table.from_arrays(arrays, names=names)


def dedupe(names: list[str]) -> list[str]:
    """`SELECT a.id, b.id` gives two `id` columns; DataFrames need unique names."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count + 1}")
    return out


def collect(batches: Iterable, *, limit: int | None,
            max_bytes: int | None) -> tuple[list, str | None]:
    """Keep Arrow batches until limit + 1 rows or max_bytes, whichever comes first, so memory
    stays bounded while fetching; returns (kept batches, "rows" | "bytes" | None)."""
    kept, rows, size = [], 0, 0
    for batch in batches:
        if max_bytes is not None and size + batch.nbytes > max_bytes:
            room = _rows_that_fit(batch, max_bytes - size)
            if room:
                kept.append(batch.slice(0, room))
            return kept, "bytes"
        kept.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if limit is not None and rows > limit:
            return kept, "rows"
    return kept, None


def _rows_that_fit(batch, room: int) -> int:
    """How many leading rows of a batch fit in `room` bytes (by its average row size)."""
    if batch.num_rows == 0 or room <= 0:
        return 0
    return min(batch.num_rows, int(room // max(1, batch.nbytes / batch.num_rows)))


def fetch_rows(cursor, *, limit: int | None, max_bytes: int | None,
               chunk: int = 1000) -> tuple[list, str | None]:
    """DBAPI rows in chunks until limit + 1 rows or about max_bytes (text and bytes counted by
    length, everything else as 8 bytes, twice: the rows are held as Python objects, then as
    Arrow). The first chunk is small; later ones are sized from the rows seen."""
    rows: list = []
    size, want = 0, 16
    while True:
        if limit is not None:
            want = min(want, limit + 1 - len(rows))
        got = cursor.fetchmany(want)
        for row in got:
            size += 2 * sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
            if max_bytes is not None and size > max_bytes:
                return rows, "bytes"
            rows.append(row)
        if limit is not None and len(rows) > limit:
            return rows, "rows"
        if len(got) < want or not got:
            return rows, None
        average = max(1, size // max(1, len(rows)))
        room = (max_bytes - size) // average // 4 if max_bytes is not None else chunk
        want = max(1, min(chunk, room))
