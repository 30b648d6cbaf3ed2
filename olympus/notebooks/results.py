"""A cell's last result kept with its run (Arrow IPC, byte-capped), so members who may view but
not query, and every new session, see it without running anything."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olympus.runner import QueryResult

SNAPSHOT_BYTES = 2 * 1024 ** 2  # per cell: the first rows that fit


def encode(result: "QueryResult | None") -> bytes | None:
    """The result's first rows that fit SNAPSHOT_BYTES, as Arrow IPC (None: nothing to keep)."""
    import pyarrow as pa

    table = getattr(result, "arrow", None)
    if table is None:
        return None
    if table.nbytes > SNAPSHOT_BYTES and table.num_rows:
        per_row = max(1, table.nbytes // table.num_rows)
        table = table.slice(0, max(1, SNAPSHOT_BYTES // per_row))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    meta = {b"olympus.total_rows": str(result.row_count).encode(),
            b"olympus.truncated": b"1" if result.truncated or table.num_rows < result.row_count
            else b"0", b"olympus.sql": (result.sql or "").encode()}
    body = sink.getvalue().to_pybytes()
    return _frame(meta) + body


def decode(blob: bytes, ran_at: datetime) -> "QueryResult":
    """The stored result as a QueryResult (cached_at: when it ran)."""
    import pyarrow as pa

    from olympus.runner import QueryResult

    meta, body = _unframe(blob)
    table = pa.ipc.open_stream(body).read_all()
    truncated = meta.get(b"olympus.truncated") == b"1"
    return QueryResult(columns=tuple(table.column_names),
                       types=tuple(str(t) for t in table.schema.types), arrow=table,
                       row_count=table.num_rows, truncated=truncated,
                       truncated_by="bytes" if truncated else None,
                       sql=meta.get(b"olympus.sql", b"").decode(), cached_at=ran_at)


def _frame(meta: dict[bytes, bytes]) -> bytes:
    import json

    head = json.dumps({k.decode(): v.decode() for k, v in meta.items()}).encode()
    return len(head).to_bytes(4, "big") + head


def _unframe(blob: bytes) -> tuple[dict[bytes, bytes], bytes]:
    import json

    size = int.from_bytes(blob[:4], "big")
    head = json.loads(blob[4:4 + size])
    return {k.encode(): v.encode() for k, v in head.items()}, blob[4 + size:]
