"""The worker pipe's wire format. A frame: 12-byte header (meta length, body length), a pickled
meta dict, then the body. A result's body is its schema's Arrow IPC message then one per record
batch, so the app decodes a result shape it has seen before once, not on every reply (for a
small result that decoding cost more than the rows); a table with a dictionary column (whose
dictionaries travel only in a stream) goes as one Arrow IPC stream instead."""

from __future__ import annotations

import functools
import os
import pickle
import select
import struct
import time
from typing import TYPE_CHECKING, Any

from olympus.memo import Memo

if TYPE_CHECKING:
    import pyarrow as pa

HEADER = struct.Struct("!IQ")
PIPE_BYTES = 1024 ** 2
READ_AHEAD = 64 * 1024
SCHEMA_MEMO_BYTES = 64 * 1024  # schemas up to this size are remembered, decoded (per process)
_SCHEMAS = Memo(64)  # serialized schema -> pa.Schema: the bytes are the key, so never stale
_PLAIN = Memo(64)  # serialized schema -> no dictionary column (the child's side)


# ---- frames ---------------------------------------------------------------------------------
def send(stream, meta: dict, *parts: Any) -> None:
    """One frame; a small one leaves in one write (the stream buffers it until the flush)."""
    blob = pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)
    views = [memoryview(p) for p in parts]
    stream.write(HEADER.pack(len(blob), sum(v.nbytes for v in views)))
    stream.write(blob)
    for view in views:
        if view.nbytes:
            stream.write(view)
    stream.flush()


def recv(inp) -> tuple[dict, Any]:
    """The child's side: one frame from a buffered stream (EOFError when the app is gone)."""
    head = inp.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    meta_len, body_len = HEADER.unpack(head)
    return pickle.loads(inp.read(meta_len)), inp.read(body_len) if body_len else None


class Reader:
    """The app's side of the child's stdout: exact-size reads before a deadline, reading ahead
    (a small reply's header, meta and body arrive in one read), into one kept spare buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._poll = select.poll()  # not select(): it fails on a descriptor numbered past 1,023
        self._poll.register(fd, select.POLLIN)
        self._ahead = bytearray()  # bytes read past the last frame (the next one's start)
        self._spare = bytearray(READ_AHEAD)

    def frame(self, deadline: float) -> tuple[dict, Any]:
        """(meta, body or None); TimeoutError past the deadline, EOFError if the child died."""
        meta_len, body_len = HEADER.unpack(self.take(HEADER.size, deadline))
        meta = pickle.loads(self.take(meta_len, deadline))
        return meta, self.take(body_len, deadline) if body_len else None

    def take(self, size: int, deadline: float) -> memoryview:
        """`size` bytes in a buffer of their own (a result's Arrow arrays point into it)."""
        ahead = self._ahead
        if len(ahead) >= size:
            out = ahead[:size]
            del ahead[:size]
            return memoryview(out)
        buf, spare = bytearray(size), self._spare
        buf[:len(ahead)] = ahead
        view, got = memoryview(buf), len(ahead)
        ahead.clear()
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0 or not self._poll.poll(max(1, int(left * 1000))):
                raise TimeoutError
            n = os.readv(self.fd, [view[got:], spare])
            if n == 0:
                raise EOFError
            extra = max(0, got + n - size)
            got += n - extra
            ahead += memoryview(spare)[:extra]
        return view


def widen(fd: int) -> None:
    """A 1 MB pipe instead of 64 KB: a result crosses in a few reads, not hundreds (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):  # elsewhere, or above the system's maximum: default size
        pass


# ---- a result's Arrow body ------------------------------------------------------------------
def encode(table: "pa.Table") -> tuple[tuple, list]:
    """(layout for the meta, body parts): the schema's and each batch's IPC message, or one
    IPC stream when a column needs dictionaries."""
    schema = table.schema
    head = schema.serialize()
    if not _plain(schema, head):
        return ("stream",), [_stream(table)]
    bodies = [batch.serialize() for batch in table.to_batches()]
    return ("parts", head.size, tuple(b.size for b in bodies)), [head, *bodies]


def decode(layout: tuple, body: Any) -> "pa.Table":
    """The table `encode` sent; its arrays point into `body` (no copy)."""
    import pyarrow as pa

    buf = pa.py_buffer(body if body is not None else b"")
    if layout[0] == "stream":
        return pa.ipc.open_stream(buf).read_all()
    _, schema_size, sizes = layout
    schema = _schema(buf, schema_size)
    batches, at = [], schema_size
    for size in sizes:
        batches.append(pa.ipc.read_record_batch(buf.slice(at, size), schema))
        at += size
    return pa.Table.from_batches(batches, schema=schema)


def _schema(buf: "pa.Buffer", size: int) -> "pa.Schema":
    import pyarrow as pa

    head = buf.slice(0, size)
    if size > SCHEMA_MEMO_BYTES:
        return pa.ipc.read_schema(head)
    return _SCHEMAS.get(head.to_pybytes(), lambda: pa.ipc.read_schema(head))


def _plain(schema: "pa.Schema", head: "pa.Buffer") -> bool:
    """No dictionary in any column (decided once per schema the child has seen)."""
    def check() -> bool:
        return not any(_has_dictionary(t) for t in schema.types)
    if head.size > SCHEMA_MEMO_BYTES:
        return check()
    return _PLAIN.get(head.to_pybytes(), check)


def _has_dictionary(type_: "pa.DataType") -> bool:
    """A dictionary anywhere in the type (a list of dictionaries too), or an extension type."""
    import pyarrow as pa

    if pa.types.is_dictionary(type_) or isinstance(type_, pa.BaseExtensionType):
        return True
    return any(_has_dictionary(type_.field(i).type) for i in range(type_.num_fields))


def _stream(table: "pa.Table") -> "pa.Buffer":
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_ipc_options()) as writer:
        writer.write_table(table)
    return sink.getvalue()


@functools.cache
def _ipc_options():
    """Explicit options: pyarrow otherwise reads two environment variables on every write."""
    import pyarrow as pa

    return pa.ipc.IpcWriteOptions()
