"""Chaining compiled into one statement: nested chains, name clashes, cycles, bad references,
parameters inside upstream cells; the compiled SQL is run on a real DuckDB file to prove it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pytest
import sqlglot

from olympus.connectors import create_connector
from olympus.errors import ConfigError, SQLSyntaxError
from olympus.notebooks.compile import Compiled, compile_cell, references
from olympus.notebooks.params import DateRange
from olympus.runner import run_query

DIALECTS = {"db": "duckdb", "pg": "postgres", "other": "duckdb"}


@dataclass(frozen=True)
class C:
    """A cell as compile_cell reads one (name, kind, connection, sql)."""

    name: str
    sql: str = ""
    kind: str = "sql"
    connection: str | None = "db"


def _compile(cells, index, values=None, **options) -> Compiled:
    return compile_cell(cells, index, values or {}, dialect_of=DIALECTS.__getitem__, **options)


@pytest.fixture(scope="module")
def loans(tmp_path_factory):
    """A real DuckDB file with a loans table, read through the guarded runner."""
    path = str(tmp_path_factory.mktemp("nb") / "loans.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE TABLE loans AS SELECT i::INTEGER AS id, "
                "DATE '2024-01-01' + i::INTEGER AS issued, "
                "i::INTEGER * 100 AS amount, CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END AS grade "
                "FROM range(1, 61) t(i)")
    con.close()
    connector = create_connector("duckdb", {"path": path})
    yield connector
    connector.dispose()


def _run(connector, compiled: Compiled):
    return run_query(connector, compiled.sql, limiter=None, params=compiled.params)


def test_a_plain_cell_is_left_as_written():
    compiled = _compile([C("a", "SELECT 1 AS x -- note\n")], 0)
    assert compiled == Compiled("SELECT 1 AS x -- note", {}, "db", (), False)


def test_nested_chain_becomes_ctes_in_dependency_order(loans):
    cells = [C("recent", "SELECT * FROM loans WHERE issued >= {{start}}"),
             C("intro", "Some notes", kind="note", connection=None),
             C("monthly", "SELECT date_trunc('month', issued) AS m, sum(amount) AS total "
                          "FROM {{recent}} GROUP BY 1"),
             C("top", "SELECT m, total FROM {{monthly}} WHERE total > {{floor}} ORDER BY m")]
    compiled = _compile(cells, 3, {"start": date(2024, 2, 1), "floor": 1000, "unused": 1})
    assert compiled.upstream == ("recent", "monthly")
    assert dict(compiled.params) == {"start": date(2024, 2, 1), "floor": 1000}
    tree = sqlglot.parse_one(compiled.sql.replace("{{", "'").replace("}}", "'"), read="duckdb")
    assert [c.alias for c in tree.args["with_"].expressions] == ["recent", "monthly"]
    assert "2024" not in compiled.sql and "1000" not in compiled.sql
    result = _run(loans, compiled)
    # ids 31..60 issued from 2024-02-01: Feb holds 31..59 (29 days), Mar holds 60
    assert [int(v) for v in result.arrow.column("total").to_pylist()] == \
        [sum(range(31, 60)) * 100, 6000]


def test_cte_name_clash_with_a_table_and_a_cte(loans):
    cells = [C("loans", "SELECT id, amount FROM loans WHERE grade = 'A'"),
             C("final", "WITH loans_2 AS (SELECT 1 AS one) "
                        "SELECT count(*) AS n, min(loans.id) AS first, max(one) AS one "
                        "FROM {{loans}}, loans_2")]
    compiled = _compile(cells, 1)
    tree = sqlglot.parse_one(compiled.sql, read="duckdb")
    assert [c.alias for c in tree.args["with_"].expressions] == ["loans_3", "loans_2"]
    result = _run(loans, compiled)
    assert result.rows() == [[30, 2, 1]]


def test_params_inside_upstream_cells_and_date_range_parts(loans):
    cells = [C("window", "SELECT * FROM loans WHERE issued BETWEEN {{period.start}} "
                         "AND {{period.end}} AND grade = {{grade}}"),
             C("n", "SELECT count(*) AS n FROM {{window}}")]
    values = {"period": DateRange(date(2024, 1, 2), date(2024, 1, 11)), "grade": "A"}
    compiled = _compile(cells, 1, values)
    assert set(compiled.params) == {"period", "grade"}
    assert "{{period.start}}" in compiled.sql and "{{grade}}" in compiled.sql
    assert _run(loans, compiled).rows() == [[5]]  # ids 1..10, even ones


def test_question_cells_chain_like_sql_cells():
    cells = [C("q", "SELECT 1 AS x", kind="question"), C("s", "SELECT x FROM {{q}}")]
    assert _compile(cells, 1).upstream == ("q",)


@pytest.mark.parametrize("cells, index, message", [
    ([C("a", "SELECT * FROM {{a}}")], 0, "reads itself"),
    ([C("a", "SELECT * FROM {{b}}"), C("b", "SELECT 1")], 0, "comes after it"),
    ([C("n", "text", kind="note"), C("b", "SELECT * FROM {{n}}")], 1, "note cell"),
    ([C("a", "SELECT * FROM {{nope}}")], 0, "Cell 'a' uses {{nope}}"),
    ([C("a", "SELECT 1"), C("b", "SELECT * FROM {{a.start}}")], 1, "read whole"),
    ([C("a", "SELECT 1"), C("b", "SELECT {{a}} + 1")], 1, "not as a value"),
    ([C("n", "text", kind="note")], 0, "has no SQL"),
    ([C("a", "  ")], 0, "no SQL yet"),
])
def test_bad_references_are_clear_errors(cells, index, message):
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _compile(cells, index)


def test_unknown_name_in_an_upstream_cell_names_that_cell():
    cells = [C("up", "SELECT * FROM t WHERE d > {{missing}}"), C("down", "SELECT * FROM {{up}}")]
    with pytest.raises(ConfigError) as caught:
        _compile(cells, 1, {"other": 1})
    assert "Cell 'up'" in caught.value.message and "other" in (caught.value.suggestion or "")


def test_upstream_that_is_not_one_select_is_refused():
    cells = [C("a", "SELECT 1; SELECT 2"), C("b", "SELECT * FROM {{a}}")]
    with pytest.raises(SQLSyntaxError, match="one SELECT"):
        _compile(cells, 1)


def test_across_connections_refused_unless_local():
    cells = [C("a", "SELECT 1 AS x", connection="pg"), C("b", "SELECT x FROM {{a}}")]
    with pytest.raises(ConfigError, match="another connection") as caught:
        _compile(cells, 1)
    assert "local chaining" in caught.value.suggestion
    compiled = _compile(cells, 1, local=True)
    assert compiled.local and compiled.upstream == ("a",)
    assert [(name, part.connection, part.sql) for name, part in compiled.parts] == \
        [("a", "pg", "SELECT 1 AS x")]


def test_references_ignore_literals_and_comments():
    sql = "SELECT '{{no}}' /* {{nor}} */ FROM {{cell}} WHERE d BETWEEN {{p.start}} AND {{p.end}}"
    assert references(sql) == {"cell", "p"}
    assert references("SELECT 1") == set()
