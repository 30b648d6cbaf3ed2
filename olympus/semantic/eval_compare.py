"""Execution accuracy: is the agent's result the gold result? Column names never matter, row order
only when the gold SQL orders (a top-level ORDER BY), and numbers match within a tolerance."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

REL_TOL, ABS_TOL = 1e-6, 1e-9
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00:00(?:\.0+)?(?:[+-]00:?00|Z)?$")
Row = tuple[Any, ...]


def gold_orders(sql: str, dialect: str) -> bool:
    """True when the statement itself (not a subquery or CTE) ends in ORDER BY."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except Exception:  # the gold SQL runs anyway; unparsable here means "no order we can see"
        return False
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def cell(value: Any) -> Any:
    """One value in a comparable form: numbers as floats, a midnight timestamp as its date."""
    if value is None or isinstance(value, str) and value == "":
        return value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    if type(value).__name__ == "Decimal":
        return float(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    if isinstance(value, str):
        day = _MIDNIGHT.match(value)
        return day.group(1) if day else value
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _key(value: Any) -> tuple:
    """Sort key across types (NULLs first); floats rounded so near-equal values sort together."""
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, float):
        return (1, float(f"{value:.6g}"), "")
    return (2, 0.0, str(value))


def _sorted(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: tuple(_key(v) for v in row))


def _rows_equal(gold: Sequence[Row], got: Sequence[Row]) -> bool:
    return all(len(g) == len(r) and all(map(_same, g, r)) for g, r in zip(gold, got))


def _permutation(gold: list[Row], got: list[Row]) -> list[int] | None:
    """got's column for each gold column, matched by their sorted values (names are ignored)."""
    width = len(gold[0]) if gold else 0
    column = lambda rows, j: _sorted([(row[j],) for row in rows])  # noqa: E731
    free, order = list(range(width)), []
    for j in range(width):
        want = column(gold, j)
        match = next((k for k in free if _rows_equal(want, column(got, k))), None)
        if match is None:
            return None
        free.remove(match)
        order.append(match)
    return order


def difference(gold_rows: Sequence[Sequence[Any]], got_rows: Sequence[Sequence[Any]], *,
               ordered: bool) -> str | None:
    """None when the results match, else why not, in a few words."""
    gold = [tuple(map(cell, row)) for row in gold_rows]
    got = [tuple(map(cell, row)) for row in got_rows]
    if len(got) != len(gold):
        return f"{len(got)} row(s), expected {len(gold)}"
    gold_width, got_width = (len(gold[0]) if gold else 0), (len(got[0]) if got else 0)
    if gold and got_width != gold_width:
        return f"{got_width} column(s), expected {gold_width}"
    if not _rows_equal(_sorted(gold), _sorted(got)):
        order = _permutation(gold, got)  # the same columns in another order still answer
        got = [tuple(row[k] for k in order) for row in got] if order is not None else got
        if order is None or not _rows_equal(_sorted(gold), _sorted(got)):
            return "different values"
    if ordered and not _rows_equal(gold, got):
        return "right rows in the wrong order"
    return None
