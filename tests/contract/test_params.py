"""Bound parameters on every backend: `{{name}}` becomes the driver's own placeholder, the
guard checks that statement, and the values travel beside it, so an injection string stays
data (and the table it names is still there afterwards)."""

from __future__ import annotations

from datetime import date

import pytest

from olympus.runner import run_query

# No emulator gap: fakesnow and bqemulator bind these like the real services (no Gap declared).
INJECTIONS = ("x'); DROP TABLE customers; --", "' OR '1'='1", "a\\' OR 1=1 -- ",
              "Robert'); DELETE FROM orders WHERE ('1'='1")


class _Spy:
    """Records what reaches the connector's fetch (the statement the driver gets, and the
    values bound beside it), then runs the real fetch."""

    def __init__(self, connector) -> None:
        self.real, self.calls = connector.fetch, []

    def __call__(self, sql, **options):
        self.calls.append((sql, options.get("params")))
        return self.real(sql, **options)


def _run(backend, sql: str, params=None, **options):
    return run_query(backend.connector, sql, limiter=None, params=params, **options)


def _value(result, column: str):
    names = [c.lower() for c in result.columns]
    return result.arrow.column(names.index(column)).to_pylist()


def test_date_number_text_filter_real_rows(backend):
    customers = backend.t("customers")
    sql = (f"SELECT id FROM {customers} WHERE signup >= {{{{start}}}} AND id <= {{{{top}}}} "
           f"AND name <> {{{{skip}}}} ORDER BY id")
    result = _run(backend, sql, {"start": date(2024, 1, 20), "top": 22, "skip": "Customer 21"})
    assert [int(v) for v in _value(result, "id")] == [20, 22]
    assert "{{" not in result.sql and "2024" not in result.sql and "Customer" not in result.sql


def test_date_number_text_round_trip(backend):
    result = _run(backend, "SELECT {{d}} AS d, {{n}} AS n, {{s}} AS s",
                  {"d": date(2024, 1, 31), "n": 42, "s": "it's \"quoted\" 100%"})
    got = {c.lower(): result.arrow.column(i)[0].as_py() for i, c in enumerate(result.columns)}
    assert str(got["d"])[:10] == "2024-01-31", got  # SQLite and PyMySQL give the text back
    assert int(got["n"]) == 42, got
    assert got["s"] == "it's \"quoted\" 100%", got


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_stays_data(backend, attack, monkeypatch):
    spy = _Spy(backend.connector)
    monkeypatch.setattr(backend.connector, "fetch", spy)
    customers = backend.t("customers")
    matched = _run(backend, f"SELECT count(*) AS c FROM {customers} WHERE name = {{{{who}}}}",
                   {"who": attack})
    assert int(_value(matched, "c")[0]) == 0  # pasted, "' OR '1'='1" would match all 25
    echoed = _run(backend, "SELECT {{who}} AS who", {"who": attack})
    assert _value(echoed, "who") == [attack]
    for sql, bound in spy.calls:
        assert attack not in sql and "{{" not in sql, sql
        assert list(bound) == [attack]
    for table, rows in (("customers", 25), ("orders", 40)):
        left = _run(backend, f"SELECT count(*) AS c FROM {backend.t(table)}")
        assert int(_value(left, "c")[0]) == rows


def test_markers_in_literals_and_comments_stay_text(backend):
    result = _run(backend, "SELECT '{{who}}' AS lit, {{who}} AS val /* {{who}} */",
                  {"who": "data"})
    assert _value(result, "lit") == ["{{who}}"] and _value(result, "val") == ["data"]


def test_same_parameter_twice(backend):
    customers = backend.t("customers")
    result = _run(backend, f"SELECT count(*) AS c FROM {customers} "
                           f"WHERE id >= {{{{k}}}} AND id <= {{{{k}}}} + 2", {"k": 5})
    assert int(_value(result, "c")[0]) == 3


def test_chained_cells_compile_to_one_statement(backend):
    """Upstream cells (one with its own WITH) inlined as CTEs in this dialect, parameters bound."""
    from dataclasses import dataclass

    from olympus.notebooks.compile import compile_cell

    @dataclass(frozen=True)
    class Cell:
        name: str
        sql: str
        kind: str = "sql"
        connection: str = "db"

    customers, orders = backend.t("customers"), backend.t("orders")
    cells = [Cell("active", f"WITH base AS (SELECT id, name, signup FROM {customers}) "
                            f"SELECT id, name FROM base WHERE signup >= {{{{since}}}}"),
             Cell("spend", f"SELECT a.id, a.name, sum(o.amount) AS total FROM {{{{active}}}} AS a "
                           f"JOIN {orders} AS o ON o.customer_id = a.id GROUP BY a.id, a.name"),
             Cell("top", "SELECT id FROM {{spend}} WHERE total > {{floor}} AND name <> {{who}} "
                         "ORDER BY id")]
    values = {"since": date(2024, 1, 10), "floor": 40, "who": INJECTIONS[1]}
    compiled = compile_cell(cells, 2, values, dialect_of=lambda _name: backend.connector.dialect)
    assert compiled.upstream == ("active", "spend")
    result = _run(backend, compiled.sql, compiled.params)
    # orders j go to customer (j-1) % 25 + 1 with amount 1.25 j: customers 10..15 get two orders
    expected = [c for c in range(10, 26)
                if sum(j * 1.25 for j in range(1, 41) if (j - 1) % 25 + 1 == c) > 40]
    assert [int(v) for v in _value(result, "id")] == expected
