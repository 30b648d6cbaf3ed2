"""The plain table's cells as shown (ui/table_view.py): counts with separators, compact row
estimates with the exact figure on hover, booleans as a tick, nothing for a missing value."""

from __future__ import annotations

from olympus.ui.table_view import compact, text


def test_cells_read_as_a_person_expects():
    assert text(None) == "" and text(12506) == "12,506" and text("x<b>") == "x<b>"
    assert text(True) == "✓" and text(False) == ""
    assert text(2.5) == "2.5"


def test_row_estimates_are_compact_with_the_exact_count_on_hover():
    assert compact(None) == "" and compact(0) == "0" and compact(999) == "999"
    assert compact(1000) == ["1K", "1,000"] and compact(12506) == ["12.5K", "12,506"]
    assert compact(2_100_000) == ["2.1M", "2,100,000"]
    assert compact(3_000_000_000) == ["3B", "3,000,000,000"]
