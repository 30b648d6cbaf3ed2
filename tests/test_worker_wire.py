"""The worker pipe's wire format (olympus.connectors.worker_wire): a result crosses as its schema's
and its batches' Arrow IPC messages (a dictionary column as a whole stream) and arrives as the same
table, type for type; a remembered schema is keyed by its bytes, so a new shape is never served an
old one; a frame split across reads arrives whole. And the store's in-process write lock."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from olympus.connectors import create_connector
from olympus.connectors import worker_wire as wire
from olympus.store_fast import write_lock


def _cross(table: pa.Table) -> pa.Table:
    """What the app gets after the child encoded `table` (through a buffer of its own)."""
    layout, parts = wire.encode(table)
    body = bytearray(b"".join(bytes(memoryview(p)) for p in parts))
    return wire.decode(layout, memoryview(body) if body else None)


TYPED = pa.table({
    "i": pa.array([1, None, 3], pa.int64()),
    "s": pa.array(["a", None, "ü"], pa.string()),
    "d": pa.array([Decimal("1.25"), None, Decimal("-3.50")], pa.decimal128(10, 2)),
    "ts": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(2020, 2, 29)],
                   pa.timestamp("us", tz="UTC")),
    "day": pa.array([dt.date(2020, 1, 1), None, dt.date(1999, 12, 31)], pa.date32()),
    "l": pa.array([[1, 2], None, []], pa.list_(pa.int32())),
    "st": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}],
                   pa.struct([("a", pa.int16()), ("b", pa.string())])),
    "m": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
    "b": pa.array([b"\x00\x01", None, b""], pa.binary()),
}, metadata={b"note": b"kept"})


def test_a_result_crosses_type_for_type_as_schema_and_batch_messages():
    layout, _ = wire.encode(TYPED)
    assert layout[0] == "parts"
    got = _cross(TYPED)
    assert got.schema.equals(TYPED.schema, check_metadata=True)
    assert got.equals(TYPED)


@pytest.mark.parametrize("table", [
    pa.table({"x": pa.array([], pa.int64())}),  # no rows, no batches
    pa.Table.from_batches([pa.record_batch({"x": pa.array(range(i, i + 3))})
                           for i in range(0, 9, 3)]),  # several batches, in order
    pa.table({"x": pa.array(range(10))}).slice(3, 4),  # a slice: only its rows cross
])
def test_empty_many_batch_and_sliced_results_arrive_whole(table):
    got = _cross(table)
    assert got.schema == table.schema and got.to_pydict() == table.to_pydict()


def test_a_dictionary_column_even_nested_crosses_as_one_stream():
    flat = pa.table({"e": pa.array(["a", "b", "a"]).dictionary_encode()})
    nested = pa.table({"l": pa.array([["x"], ["y", "x"]],
                                     pa.list_(pa.dictionary(pa.int8(), pa.string())))})
    for table in (flat, nested):
        layout, _ = wire.encode(table)
        assert layout == ("stream",)
        got = _cross(table)
        assert got.schema == table.schema and got.to_pylist() == table.to_pylist()


def test_a_remembered_schema_is_keyed_by_its_bytes():
    one, other = pa.table({"x": [1]}), pa.table({"x": ["1"]})  # same name, other type
    first, again = _cross(one), _cross(one)
    assert first.schema.equals(again.schema)
    assert _cross(other).schema.field("x").type == pa.string()  # never the remembered int64
    assert _cross(one).column("x").to_pylist() == [1]


def test_a_frame_written_in_pieces_arrives_whole_and_the_next_one_after_it():
    read_fd, write_fd = os.pipe()
    try:
        table = pa.table({"x": list(range(50_000))})
        layout, parts = wire.encode(table)
        frames = _frames(layout, parts)
        reader = wire.Reader(read_fd)
        writer = threading.Thread(target=_dribble, args=(write_fd, frames))
        writer.start()
        deadline = time.monotonic() + 30
        meta, body = reader.frame(deadline)
        assert wire.decode(meta["layout"], body).equals(table)
        meta, body = reader.frame(deadline)
        assert meta == {"ok": True, "n": 2} and body is None
        writer.join()
        with pytest.raises(TimeoutError):  # nothing more comes: the deadline holds
            reader.frame(time.monotonic() + 0.2)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def _frames(layout, parts) -> bytes:
    """Two frames' bytes, as send() writes them."""
    import io

    sink = io.BytesIO()
    wire.send(sink, {"ok": True, "layout": layout}, *parts)
    wire.send(sink, {"ok": True, "n": 2})
    return sink.getvalue()


def _dribble(fd: int, data: bytes) -> None:
    for start in range(0, len(data), 7_000):  # frames cut at arbitrary points
        os.write(fd, data[start:start + 7_000])
        time.sleep(0.001)


def test_a_worker_returns_enums_and_multi_batch_results_as_duckdb_gives_them(tmp_path):
    path = str(tmp_path / "w.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    con.execute("CREATE TABLE t AS SELECT i, (['sad', 'ok', 'happy'])[i % 3 + 1]::mood AS m, "
                "i::DECIMAL(12, 2) AS d FROM range(5000) r(i)")
    con.close()
    sql = "SELECT * FROM t ORDER BY i"
    local = create_connector("duckdb", {"path": path})
    local.isolated = False
    remote = create_connector("duckdb", {"path": path})
    try:
        want = local.fetch(sql, limit=10_000, timeout_s=30).table
        got = remote.fetch(sql, limit=10_000, timeout_s=30)
        assert got.table.num_rows == 5000 and got.table.equals(want)
        assert pa.types.is_dictionary(got.table.schema.field("m").type)
        assert remote.fetch("SELECT 1 AS one", limit=1, timeout_s=30).table.to_pydict() == \
            {"one": [1]}  # the next reply on the same worker, another shape
    finally:
        local.dispose()
        remote.dispose()


def test_in_process_store_writers_take_turns_on_one_lock(tmp_path):
    """A rate-limit count waits on the lock while the journal writes, instead of colliding in
    SQLite (whose busy handler sleeps 1, 2, 5.. ms between tries)."""
    from olympus.limits import StoreCounter
    from olympus.store_db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    counter, done = StoreCounter(engine), []
    try:
        counter.incr_many(["user:a"], 1)  # the window's sweep done: the next is one statement
        with write_lock(engine):
            thread = threading.Thread(target=lambda: done.append(counter.incr_many(["user:a"], 1)))
            thread.start()
            thread.join(0.3)
            assert thread.is_alive() and not done  # waiting for the lock
        thread.join(10)
        assert done == [[2]]
    finally:
        engine.dispose()


def test_a_reply_on_a_descriptor_numbered_past_1023_is_read():
    """A busy app (pools, sockets, workers) gets descriptors past select()'s 1,024 limit: the
    reply is still read (poll), and the deadline still holds."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    high = 1500
    assert hard > high, f"this machine allows only {hard} descriptors"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, high + 1), hard))
    read_fd, write_fd = os.pipe()
    try:
        os.dup2(read_fd, high)
        table = pa.table({"x": [1, 2, 3]})
        layout, parts = wire.encode(table)
        os.write(write_fd, _frames(layout, parts))
        reader = wire.Reader(high)
        meta, body = reader.frame(time.monotonic() + 10)
        assert wire.decode(meta["layout"], body).equals(table)
        assert reader.frame(time.monotonic() + 10)[0] == {"ok": True, "n": 2}
        with pytest.raises(TimeoutError):
            reader.frame(time.monotonic() + 0.2)
    finally:
        for fd in (read_fd, write_fd, high):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
