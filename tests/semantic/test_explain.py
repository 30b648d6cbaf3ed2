"""Explain: a plain-English outline from the parse tree, and a fuller one through a real LLM client."""

from __future__ import annotations

import pytest

from olympus.errors import SQLSyntaxError
from olympus.semantic.explain import explain, outline

SQL = ("WITH t AS (SELECT branch_id, SUM(principal) AS s FROM loans WHERE status = 'late' "
       "GROUP BY branch_id) SELECT b.region, t.s FROM t LEFT JOIN branches AS b "
       "ON b.id = t.branch_id WHERE t.s > 0 GROUP BY b.region, t.s HAVING COUNT(*) > 1 "
       "ORDER BY t.s DESC LIMIT 10")


def test_outline_names_every_part_in_order():
    assert outline(SQL, dialect="duckdb") == (
        "First builds t: selects branch_id, SUM(principal) AS s from loans where status = "
        "'late' grouped by branch_id.",
        "Reads from t.",
        "Joins branches (as b) on b.id = t.branch_id; a left join: every row on the left is kept.",
        "Keeps only rows where t.s > 0.",
        "Groups rows by b.region, t.s.",
        "Keeps only groups where COUNT(*) > 1.",
        "Returns b.region, t.s.",
        "Sorts by t.s descending.",
        "Returns at most 10 rows.",
    )


def test_outline_of_set_operations_subqueries_and_stars():
    lines = outline("SELECT * FROM a UNION SELECT id FROM (SELECT id FROM c) AS sub ORDER BY 1",
                    dialect="postgres")
    assert lines[0] == "Combines two queries (duplicates removed):"
    assert "every column from a" in lines[1]
    assert "a subquery sub (selects id from c)" in lines[2]
    assert lines[-1] == "Sorts by 1 ascending."
    assert outline("SELECT DISTINCT x FROM y CROSS JOIN z")[1:] == (
        "Joins z; a cross join: every pairing of rows.", "Returns distinct x.")


def test_bad_sql_is_a_clear_error():
    with pytest.raises(SQLSyntaxError, match="could not read"):
        outline("SELECT FROM WHERE (", dialect="duckdb")


def test_without_a_model_only_the_outline():
    got = explain("SELECT 1", dialect="duckdb")
    assert got.outline == ("Returns 1.",) and got.text is None and got.error is None
