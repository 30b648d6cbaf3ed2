"""Parameters: parsing what people type, binding `{{name}}` as driver parameters through the
workspace (the demo DuckDB, in its worker process), choice lists from a query, and chaining
across connections on local DuckDB only when asked."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

import pytest

from olympus.errors import ConfigError, UnsafeSQL
from olympus.notebooks.compile import compile_cell, run_compiled
from olympus.notebooks.params import (DateRange, bind_markers, check_choice, choices,
                                      parse_value, pyformat)

ATTACK = "x'); DROP TABLE loans; --"


@dataclass(frozen=True)
class C:
    name: str
    sql: str = ""
    kind: str = "sql"
    connection: str | None = "Demo"


@dataclass(frozen=True)
class P:
    name: str
    kind: str


# ---- parsing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, text, value", [
    ("date", "2024-03-31", date(2024, 3, 31)),
    ("date", date(2024, 1, 2), date(2024, 1, 2)),
    ("date_range", "2024-01-01..2024-03-31", DateRange(date(2024, 1, 1), date(2024, 3, 31))),
    ("date_range", "2024-01-01, 2024-01-02", DateRange(date(2024, 1, 1), date(2024, 1, 2))),
    ("date_range", ["2024-01-01", "2024-02-01"], DateRange(date(2024, 1, 1), date(2024, 2, 1))),
    ("number", "42", 42), ("number", "-1_000", -1000), ("number", "2.5", 2.5), ("number", 7, 7),
    ("text", "it's", "it's"), ("choice", "Current", "Current"), ("text", None, None),
])
def test_parse_value(kind, text, value):
    assert parse_value(kind, text) == value


@pytest.mark.parametrize("kind, text, message", [
    ("date", "31/03/2024", "must be a date like 2024-01-31"),
    ("date_range", "2024-01-01", "two dates"),
    ("date_range", "2024-03-01..2024-01-01", "starts .* after it ends"),
    ("number", "12abc", "must be a number"), ("number", "nan", "must be a number"),
    ("number", True, "must be a number"), ("colour", "red", "Unknown parameter kind"),
])
def test_parse_value_errors_are_clear(kind, text, message):
    with pytest.raises(ConfigError, match=message):
        parse_value(kind, text)


def test_parse_value_names_the_parameter():
    with pytest.raises(ConfigError, match="Parameter 'start'"):
        parse_value(P("start", "date"), "yesterday")


# ---- binding ------------------------------------------------------------------------------------
def test_bind_markers_per_style():
    sql = "SELECT {{a}}, '{{a}}', {{b}} -- {{a}}\n, {{a}}, {{r.start}}"
    values = {"a": 1, "b": "x", "r": DateRange(date(2024, 1, 1), date(2024, 2, 1))}
    assert bind_markers(sql, values, dialect="duckdb", style="qmark") == (
        "SELECT ?, '{{a}}', ? -- {{a}}\n, ?, ?", [1, "x", 1, date(2024, 1, 1)])
    assert bind_markers(sql, values, dialect="postgres", style="dollar") == (
        "SELECT $1, '{{a}}', $2 -- {{a}}\n, $1, $3", [1, "x", date(2024, 1, 1)])


@pytest.mark.parametrize("sql, values, message", [
    ("SELECT {{gone}}", {"a": 1}, "names no parameter"),
    ("SELECT {{r}}", {"r": DateRange(date(2024, 1, 1), date(2024, 1, 2))}, "r.start"),
    ("SELECT {{a.start}}", {"a": 1}, "only a date range has parts"),
    ("SELECT {{a}}", {"a": None}, "has no value"),
])
def test_bind_markers_errors(sql, values, message):
    with pytest.raises(ConfigError, match=message):
        bind_markers(sql, values, dialect="duckdb", style="qmark")


def test_pyformat_doubles_percent_and_keeps_literal_question_marks():
    assert pyformat("SELECT ? , 'a%?' , 5 % 2", "mysql") == "SELECT %s , 'a%%?' , 5 %% 2"


# ---- through the workspace --------------------------------------------------------------------
def test_run_sql_binds_an_injection_as_data(ws):
    total = ws.run_sql("Demo", "SELECT count(*) AS n FROM loans").rows()[0][0]
    result = ws.run_sql("Demo", "SELECT count(*) AS n, {{s}} AS echoed FROM loans "
                                "WHERE status = {{s}} OR status = {{t}}",
                        params={"s": ATTACK, "t": "' OR '1'='1"})
    assert result.rows() == [[0, ATTACK]]
    assert ATTACK not in result.sql and "?" in result.sql
    assert ws.run_sql("Demo", "SELECT count(*) AS n FROM loans").rows()[0][0] == total
    logged = ws.query_log(limit=5)
    assert all(ATTACK not in (row.sql or "") for row in logged)


def test_chained_cells_with_a_date_range_match_the_direct_query(ws):
    period = DateRange(date(2023, 1, 1), date(2023, 6, 30))
    cells = [C("window", "SELECT * FROM loans WHERE origination_date BETWEEN "
                         "{{period.start}} AND {{period.end}}"),
             C("by_status", "SELECT status, count(*) AS n FROM {{window}} GROUP BY status"),
             C("big", "SELECT status, n FROM {{by_status}} WHERE n >= {{least}} ORDER BY status")]
    compiled = compile_cell(cells, 2, {"period": period, "least": 2},
                            dialect_of=lambda name: ws.connector_class(name).dialect)
    got = run_compiled(ws, compiled).rows()
    direct = ws.run_sql("Demo", "SELECT status, count(*) AS n FROM loans WHERE origination_date "
                                "BETWEEN DATE '2023-01-01' AND DATE '2023-06-30' GROUP BY status "
                                "HAVING count(*) >= 2 ORDER BY status").rows()
    assert got == direct and got


def test_choices_come_from_a_guarded_query(ws):
    options = choices(ws, "Demo", "SELECT DISTINCT status FROM loans ORDER BY 1")
    assert options and options == sorted(options)
    assert check_choice("status", options[0], options) == options[0]
    with pytest.raises(ConfigError, match="not one of the choices"):
        check_choice("status", ATTACK, options)
    with pytest.raises(UnsafeSQL):
        choices(ws, "Demo", "DROP TABLE loans")


# ---- across connections: local DuckDB ---------------------------------------------------------
@pytest.fixture()
def side(ws, tmp_path):
    """A second connection (SQLite) holding a label per loan status."""
    path = tmp_path / "side.sqlite"
    con = sqlite3.connect(path)
    statuses = [r[0] for r in ws.run_sql("Demo", "SELECT DISTINCT status FROM loans").rows()]
    con.execute("CREATE TABLE labels (status TEXT, label TEXT)")
    con.executemany("INSERT INTO labels VALUES (?, ?)", [(s, f"L-{s}") for s in statuses])
    con.commit()
    con.close()
    ws.add_connection("Side", "sqlite", {"path": str(path)})
    return statuses


def _cells():
    return [C("counts", "SELECT status, count(*) AS n FROM loans GROUP BY status"),
            C("labels", "SELECT status, label FROM labels", connection="Side"),
            C("joined", "SELECT c.status, c.n, l.label FROM {{counts}} AS c JOIN {{labels}} "
                        "AS l ON l.status = c.status WHERE l.label <> {{skip}} ORDER BY c.status")]


def _dialect(ws):
    return lambda name: ws.connector_class(name).dialect


def test_cross_connection_chain_needs_opting_in(ws, side):
    with pytest.raises(ConfigError, match="another connection"):
        compile_cell(_cells(), 2, {"skip": ATTACK}, dialect_of=_dialect(ws))


def test_cross_connection_chain_runs_on_local_duckdb(ws, side):
    compiled = compile_cell(_cells(), 2, {"skip": ATTACK}, dialect_of=_dialect(ws), local=True)
    result = run_compiled(ws, compiled)
    counts = dict(ws.run_sql("Demo", "SELECT status, count(*) FROM loans GROUP BY 1").rows())
    assert result.rows() == [[s, counts[s], f"L-{s}"] for s in sorted(side)]
    assert ATTACK not in result.sql


@pytest.mark.parametrize("sql", [
    "SELECT * FROM {{counts}}, read_csv('/etc/passwd')",
    "SELECT * FROM {{counts}} JOIN '/etc/passwd.csv' AS f ON true",
    "SELECT * FROM {{counts}} WHERE 1 = (SELECT count(*) FROM read_parquet('x.parquet'))",
])
def test_local_duckdb_is_guarded(ws, side, sql):
    cells = [*_cells()[:2], C("bad", sql, connection="Side")]
    compiled = compile_cell(cells, 2, {}, dialect_of=_dialect(ws), local=True)
    assert compiled.local
    with pytest.raises(UnsafeSQL, match="not allowed"):
        run_compiled(ws, compiled)


def test_a_second_statement_never_compiles(ws, side):
    from olympus.errors import SQLSyntaxError

    cells = [*_cells()[:2], C("bad", "SELECT * FROM {{counts}}; DROP TABLE counts",
                              connection="Side")]
    with pytest.raises(SQLSyntaxError, match="one SELECT"):
        compile_cell(cells, 2, {}, dialect_of=_dialect(ws), local=True)
