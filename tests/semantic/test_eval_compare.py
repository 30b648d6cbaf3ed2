"""Execution accuracy's comparison: order only when the gold orders, names ignored, numbers close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from olympus.semantic.eval_compare import difference, gold_orders

GOLD = [["North", 10.0], ["South", 2.5], ["West", None]]


def test_same_rows_in_any_order_match_when_the_gold_does_not_order():
    assert difference(GOLD, list(reversed(GOLD)), ordered=False) is None


def test_ordered_gold_needs_the_same_order():
    assert difference(GOLD, list(reversed(GOLD)), ordered=True) == "right rows in the wrong order"
    assert difference(GOLD, GOLD, ordered=True) is None


def test_numbers_match_within_the_tolerance_but_not_beyond():
    close = [["North", Decimal("10.0000000001")], ["South", 2.5 + 1e-12], ["West", None]]
    assert difference(GOLD, close, ordered=True) is None
    assert difference(GOLD, [["North", 10.01], *GOLD[1:]], ordered=True) == "different values"
    assert difference([[1]], [[True]], ordered=False) is None  # 1 and true are the same count


def test_columns_in_another_order_still_match_but_other_pairings_do_not():
    assert difference(GOLD, [[v, r] for r, v in GOLD], ordered=True) is None
    swapped = [["North", 2.5], ["South", 10.0], ["West", None]]  # same columns, wrong pairs
    assert difference(GOLD, swapped, ordered=False) == "different values"


def test_counts_and_widths_are_reported():
    assert difference(GOLD, GOLD[:2], ordered=False) == "2 row(s), expected 3"
    assert difference(GOLD, [[*r, 1] for r in GOLD], ordered=False) == "3 column(s), expected 2"
    assert difference([], [], ordered=True) is None


def test_duplicates_count_as_a_multiset():
    assert difference([[1], [1], [2]], [[1], [2], [2]], ordered=False) == "different values"


def test_a_midnight_timestamp_is_its_date():
    gold = [[dt.date(2024, 1, 1), 3]]
    assert difference(gold, [["2024-01-01T00:00:00", 3]], ordered=True) is None
    assert difference(gold, [[dt.datetime(2024, 1, 1, 0, 0), 3]], ordered=True) is None
    assert difference(gold, [["2024-01-01T06:00:00", 3]], ordered=True) == "different values"


@pytest.mark.parametrize("sql, ordered", [
    ("SELECT a FROM t ORDER BY a", True),
    ("SELECT a FROM t ORDER BY a DESC LIMIT 3", True),
    ("WITH x AS (SELECT a FROM t ORDER BY a LIMIT 3) SELECT a FROM x", False),
    ("SELECT a FROM (SELECT a FROM t ORDER BY a) s", False),
    ("SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1", True),
    ("SELECT a, count(*) FROM t GROUP BY 1", False),
])
def test_gold_orders_only_at_the_top_level(sql, ordered):
    assert gold_orders(sql, "duckdb") is ordered
