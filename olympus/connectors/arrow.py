"""Rows from a DBAPI cursor as Arrow, for drivers without an Arrow result path of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
