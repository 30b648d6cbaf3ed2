"""FEAT-001 snapshot JSON <-> Catalog, fast: orjson, with columns and keys decoded only when used.

A stored 10,000-table snapshot holds ~100k column objects; decoding them all is most of a cold
load. `dumps` writes the canonical layout (fixed key order, no spaces) and `loads` recognises it:
it splits the tables at their boundaries, decodes every table without its columns and foreign keys
in one call, and keeps those two arrays as bytes for `LazyTuple` to decode on first use. Anything
else (an older json.dumps snapshot, hand-written JSON) takes the plain full decode. The split is
safe because a `"` right after `,` or `{` cannot be inside a JSON string (there it is escaped),
so the markers below only match structure, and table objects only hold the keys `dumps` writes.
"""

from __future__ import annotations

from typing import Any

from olympus.catalog import Catalog
from olympus.catalog_model import Column, ForeignKey, LazyTuple, Table, fk_from_dict, paused_gc

_HEAD = b'{"tables":[{"schema":'
_SPLIT = b'},{"schema":'
_TAIL = b'}],"introspected_at":'
_COLUMNS = b',"columns":'
_AFTER_COLUMNS = b'],"primary_key":'
_KEYS = b',"foreign_keys":'
_AFTER_KEYS = b'],"row_count_estimate":'


def dumps(catalog: Catalog) -> bytes:
    """Compact FEAT-001 JSON; undecoded columns are copied as they were stored."""
    import orjson

    return orjson.dumps({"tables": catalog.tables, "introspected_at": catalog.introspected_at},
                        default=_default)


def _default(value: Any) -> Any:
    import orjson

    if isinstance(value, LazyTuple):
        raw = value.raw()
        if isinstance(raw, bytes):
            return orjson.Fragment(raw)
        return list(value)
    return str(value)  # Decimal, UUID... in a column default: text, as json.dumps(default=str)


def loads(blob: bytes | str | memoryview) -> Catalog:
    """A Catalog from FEAT-001 JSON (ValueError when it is not a snapshot)."""
    import orjson

    data = bytes(blob) if isinstance(blob, memoryview) else blob
    if isinstance(data, str):
        data = data.encode()
    with paused_gc():  # ~10^5 acyclic containers: collections would only rescan them
        if data.startswith(_HEAD):
            try:
                return _split_load(data)
            except (ValueError, KeyError, TypeError, IndexError):
                pass  # not our layout after all: the full decode below decides
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"stored catalog snapshot is not valid JSON ({exc}); refresh the "
                             "schema") from exc
        return Catalog.from_dict(parsed)


def _split_load(blob: bytes) -> Catalog:
    import orjson

    end = blob.rindex(_TAIL)
    introspected_at = orjson.loads(blob[end + len(_TAIL):-1])
    if not blob.endswith(b"}"):
        raise ValueError("unexpected end")
    skeletons, raw_columns, raw_keys = [], [], []
    for piece in blob[len(_HEAD):end].split(_SPLIT):
        c0 = piece.index(_COLUMNS)
        c1 = piece.index(_AFTER_COLUMNS, c0) + 1
        k0 = piece.index(_KEYS, c1)
        k1 = piece.index(_AFTER_KEYS, k0) + 1
        skeletons.append(piece[:c0] + piece[c1:k0] + piece[k1:])
        raw_columns.append(piece[c0 + len(_COLUMNS):c1])
        raw_keys.append(piece[k0 + len(_KEYS):k1])
    metas = orjson.loads(b'[{"schema":' + _SPLIT.join(skeletons) + b"}]")
    if len(metas) != len(skeletons):
        raise ValueError("table count mismatch")
    tables = tuple([_table(meta, cols, keys)
                    for meta, cols, keys in zip(metas, raw_columns, raw_keys)])
    return Catalog(tables, introspected_at)


def _table(meta: dict, cols: bytes, keys: bytes) -> Table:
    rows = meta["row_count_estimate"]
    return Table(meta["schema"], meta["name"], meta["kind"], meta["description"],
                 LazyTuple(cols, _decode_columns, _count_objects) if cols != b"[]" else (),
                 tuple(meta["primary_key"]),
                 LazyTuple(keys, _decode_keys) if keys != b"[]" else (),
                 None if rows is None or rows < 0 else int(rows))


def _decode_columns(raw: bytes) -> tuple[Column, ...]:
    try:  # written by dumps: every key present with its type, so no conversions here
        return tuple([Column(c["name"], c["type"], c["nullable"], c["description"], c["default"])
                      for c in _decode(raw)])
    except KeyError as exc:
        raise ValueError(f"stored catalog snapshot is damaged (no {exc} in a column); refresh "
                         "the schema") from exc


def _count_objects(raw: bytes) -> int:
    """Columns in a stored array: `{"name":` opens one and cannot occur inside a string."""
    return raw.count(b'{"name":')


def _decode_keys(raw: bytes) -> tuple[ForeignKey, ...]:
    return tuple([fk_from_dict(f) for f in _decode(raw)])


def _decode(raw: bytes) -> list:
    import orjson

    try:
        items = orjson.loads(raw)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TypeError("not a list of objects")
        return items
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"stored catalog snapshot is damaged ({exc}); refresh the schema") from exc
