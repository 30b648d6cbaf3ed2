"""Chart choice from column types, spec validation, and Altair rendering (data only, no code)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pytest

from olympus import charts
from olympus.chart_formats import format_value, number_format, time_axis
from olympus.charts import ChartSpec, ChartSpecError


def result_of(table: pa.Table):
    """A QueryResult-shaped object built the way the runner builds one (Arrow-backed pandas)."""
    return SimpleNamespace(columns=tuple(table.column_names),
                           types=tuple(str(t) for t in table.schema.types),
                           df=table.to_pandas(types_mapper=pd.ArrowDtype),
                           row_count=table.num_rows)


MONTHS = pa.array(["2024-01-01", "2024-02-01", "2024-03-01"]).cast(pa.date32())


@pytest.mark.parametrize("columns,types,rows,expected", [
    (("month", "loans"), ("date32[day]", "int64"), 24, ChartSpec("line", "month", "loans")),
    (("ts", "amount"), ("timestamp[us, tz=UTC]", "decimal128(14, 2)"), 5,
     ChartSpec("line", "ts", "amount")),
    (("region", "loans"), ("string", "int64"), 5, ChartSpec("bar", "region", "loans")),
    (("branch_id", "loans"), ("int32", "int64"), 5, ChartSpec("bar", "branch_id", "loans")),
    (("rate", "amount"), ("double", "decimal128(14, 2)"), 100,
     ChartSpec("scatter", "rate", "amount")),
    (("total",), ("int64",), 1, ChartSpec("metric", y="total")),
    (("avg_rate", "n"), ("double", "int64"), 1, ChartSpec("metric", y="avg_rate")),
])
def test_suggest_picks_chart_from_column_types(columns, types, rows, expected):
    assert charts.suggest(columns, types, rows) == expected


@pytest.mark.parametrize("columns,types,rows", [
    (("name", "city"), ("string", "string"), 10),  # no measure
    (("loans",), ("int64",), 0),  # empty result
    (("loans",), ("int64",), 10),  # one measure, many rows, nothing to plot it against
])
def test_suggest_returns_none_when_a_table_is_better(columns, types, rows):
    assert charts.suggest(columns, types, rows) is None


def test_line_splits_by_a_category_only_when_it_has_few_values():
    cols, types = ("month", "region", "loans"), ("date32[day]", "string", "int64")
    few = charts.suggest(cols, types, 30, cardinality={"region": 5})
    many = charts.suggest(cols, types, 3000, cardinality={"region": 500})
    assert few == ChartSpec("line", "month", "loans", color="region")
    assert many == ChartSpec("line", "month", "loans", color=None)


def test_bar_colours_by_the_second_category():
    spec = charts.suggest(("region", "product", "loans"), ("string", "string", "int64"), 20,
                          cardinality={"region": 5, "product": 4})
    assert spec == ChartSpec("bar", "region", "loans", color="product")


def test_suggest_for_a_result_counts_distinct_values():
    table = pa.table({"month": pa.concat_arrays([MONTHS, MONTHS]),
                      "region": ["East"] * 3 + ["West"] * 3, "loans": [1, 2, 3, 4, 5, 6]})
    assert charts.suggest_for(result_of(table)) == ChartSpec("line", "month", "loans", "region")


def test_validate_rejects_unknown_columns_and_marks():
    cols = ["month", "loans"]
    with pytest.raises(ChartSpecError, match="'amount'"):
        charts.validate({"mark": "line", "x": "month", "y": "amount"}, cols)
    with pytest.raises(ChartSpecError, match="'region'"):
        charts.validate(ChartSpec("bar", "month", "loans", color="region"), cols)
    with pytest.raises(ChartSpecError, match="pie"):
        charts.validate({"mark": "pie", "x": "month", "y": "loans"}, cols)
    with pytest.raises(ChartSpecError, match="needs x and y"):
        charts.validate({"mark": "bar", "y": "loans"}, cols)
    with pytest.raises(ChartSpecError, match="Unknown chart setting"):
        charts.validate({"mark": "bar", "x": "month", "y": "loans", "transform": "exec"}, cols)


def test_validate_accepts_an_llm_style_dict_and_normalises_the_mark():
    spec = charts.validate({"mark": "Point", "x": "a", "y": "b", "color": ""}, ["a", "b"])
    assert spec == ChartSpec("scatter", "a", "b", None)
    err = ChartSpecError("x")
    assert err.to_dict()["type"] == "chart_spec" and err.title == "Invalid chart"


def test_altair_line_chart_spec_has_temporal_x_and_plain_json_data():
    table = pa.table({"month": MONTHS, "amount": pa.array([1.5, 2.25, None]).cast(
        pa.decimal128(14, 2))})
    res = result_of(table)
    chart = charts.to_altair(ChartSpec("line", "month", "amount"), res.df,
                             dict(zip(res.columns, res.types)))
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"] == {"field": "month", "type": "temporal", "title": "Month",
                                     "axis": {"format": "%b %Y", "labelOverlap": True}}
    assert spec["encoding"]["y"]["type"] == "quantitative"
    rows = next(iter(spec["datasets"].values()))
    json.dumps(spec)  # decimals and dates became JSON-friendly values
    assert [r["amount"] for r in rows][:2] == [1.5, 2.25]


def test_altair_bar_sorts_categories_and_turns_horizontal_when_many():
    few = pa.table({"region": ["a", "b", "c"], "n": [3, 1, 2]})
    many = pa.table({"city": [f"c{i}" for i in range(30)], "n": list(range(30))})
    spec = charts.to_altair(ChartSpec("bar", "region", "n"), result_of(few).df).to_dict()
    assert spec["encoding"]["x"]["field"] == "region" and spec["encoding"]["x"]["sort"] == "-y"
    spec = charts.to_altair(ChartSpec("bar", "city", "n"), result_of(many).df).to_dict()
    assert spec["encoding"]["y"]["field"] == "city" and spec["encoding"]["x"]["field"] == "n"


def test_altair_scatter_and_colour_and_metric():
    table = pa.table({"x": [1.0, 2.0], "y": [3, 4], "g": ["p", "q"]})
    df = result_of(table).df
    spec = charts.to_altair(ChartSpec("scatter", "x", "y", "g"), df).to_dict()
    assert spec["mark"]["type"] == "circle"
    assert spec["encoding"]["color"]["field"] == "g"
    metric = charts.to_altair(ChartSpec("metric", y="y"), df).to_dict()
    assert metric["mark"]["type"] == "text" and metric["encoding"]["text"]["field"] == "y"


def test_to_altair_refuses_an_invalid_spec():
    df = result_of(pa.table({"a": [1]})).df
    with pytest.raises(ChartSpecError):
        charts.to_altair(ChartSpec("line", "a", "nope"), df)


def test_chart_data_is_capped():
    table = pa.table({"i": list(range(charts.CHART_ROW_CAP + 50)), "v": [1.0] * (
        charts.CHART_ROW_CAP + 50)})
    spec = charts.to_altair(ChartSpec("scatter", "i", "v"), result_of(table).df).to_dict()
    assert len(next(iter(spec["datasets"].values()))) == charts.CHART_ROW_CAP


def test_axis_choices_keep_measures_on_y():
    choices = charts.axis_choices(("month", "region", "loans"),
                                  ("date32[day]", "string", "int64"), "bar")
    assert choices["y"] == ["loans"] and choices["x"][0] == "month"
    assert "loans" not in choices["color"]


def _unescape(field: str) -> str:
    """Vega-Lite's field escaping undone: the key the field reads from each data row."""
    import re

    return re.sub(r"\\(.)", r"\1", field)


@pytest.mark.parametrize("label,measure", [
    ("region", "sum(x)"),  # DuckDB's name for an unaliased aggregate; shorthand reads sum of x
    ("a:b", "total:Q"),  # shorthand would read ':b' as a type and raise
    ("shop.name", "avg(t.amount)"),  # '.' is nested access in Vega-Lite unless escaped
    ("tags[0]", "count(*)"),
    ("sales region", "total amount"),
])
def test_awkward_column_names_chart_the_right_fields(label, measure):
    table = pa.table({label: ["p", "q", "r"], measure: [3, 1, 2], "g h": ["u", "v", "u"]})
    res = result_of(table)
    types = dict(zip(res.columns, res.types))
    for spec in (ChartSpec("bar", label, measure, color="g h"), ChartSpec("line", label, measure),
                 ChartSpec("metric", y=measure)):
        out = charts.to_altair(spec, res.df, types).to_dict()
        json.dumps(out)
        rows = next(iter(out["datasets"].values()))
        enc = out["encoding"]
        fields = ([enc["text"]] if spec.mark == "metric" else
                  [enc["x"], enc["y"], *enc["tooltip"], *([enc["color"]] if spec.color else [])])
        for item in fields:
            assert "aggregate" not in item and "timeUnit" not in item, item
            assert _unescape(item["field"]) in rows[0], (item, rows[0])
        if spec.mark == "metric":
            assert _unescape(enc["text"]["field"]) == measure
            continue
        assert (_unescape(enc["x"]["field"]), _unescape(enc["y"]["field"])) == (label, measure)
        assert enc["y"]["type"] == "quantitative"
        assert [r[measure] for r in rows] == [3, 1, 2]
        if "." in label or "[" in label:  # escaped, so Vega-Lite doesn't read nested access
            assert "\\" in enc["x"]["field"]


def test_field_ref_escapes_only_what_vega_lite_parses():
    assert charts.field_ref("sum(x)") == "sum(x)"
    assert charts.field_ref("a:b c") == "a:b c"
    assert charts.field_ref("t.a[0]") == "t\\.a\\[0\\]"
    assert charts.field_ref("back\\slash") == "back\\\\slash"


# --- raw dumps: a table, not a chart ------------------------------------------------------

@pytest.mark.parametrize("columns,types,rows,cardinality,dump", [
    (("loan_id", "amount"), ("int64", "decimal128(14, 2)"), 10_000, None, True),  # id first
    (("customer", "balance"), ("string", "double"), 2_000, {"customer": 2_000}, True),  # a key
    (("name", "city"), ("string", "string"), 3, None, True),  # every column text
    (("loan_id", "amount"), ("int64", "double"), 500, None, False),  # small: still a chart
    (("region", "amount"), ("string", "double"), 2_000, {"region": 8}, False),  # a dimension
    (("day", "amount"), ("date32[day]", "double"), 2_000, {"day": 2_000}, False),  # a series
])
def test_raw_dump_rule(columns, types, rows, cardinality, dump):
    assert charts.raw_dump(columns, types, rows, cardinality) is dump
    if dump:
        assert charts.suggest(columns, types, rows, cardinality=cardinality) is None


def test_a_select_star_of_ten_thousand_rows_gets_no_chart():
    n = 10_000
    table = pa.table({"loan_id": list(range(n)), "opened": pa.array(
        [f"2020-01-{1 + i % 28:02d}" for i in range(n)]).cast(pa.date32()),
        "amount": pa.array([i * 1.25 for i in range(n)])})
    assert charts.suggest_for(result_of(table)) is None
    grouped = pa.table({"opened": MONTHS, "amount": [1.0, 2.0, 3.0]})
    assert charts.suggest_for(result_of(grouped)) == ChartSpec("line", "opened", "amount")


# --- several measures ---------------------------------------------------------------------

def test_validate_takes_several_measures_from_a_list_and_drops_colour():
    cols = ["month", "loans", "defaults", "region"]
    spec = charts.validate({"mark": "line", "x": "month", "y": ["loans", "defaults"],
                            "color": "region"}, cols)
    assert spec == ChartSpec("line", "month", "loans", None, ("defaults",))
    assert spec.measures == ("loans", "defaults")
    with pytest.raises(ChartSpecError, match="'nope'"):
        charts.validate(ChartSpec("bar", "month", "loans", more_y=("nope",)), cols)
    assert charts.validate({"mark": "metric", "y": ["loans", "defaults"]}, cols).more_y == ()


def test_several_measures_fold_to_long_form_with_a_colour_each():
    table = pa.table({"month": MONTHS, "loans": [1, 2, 3], "measure": [0, 1, 1]})
    spec = charts.to_altair(ChartSpec("bar", "month", "loans", more_y=("measure",)),
                            result_of(table).df).to_dict()
    enc = spec["encoding"]
    assert enc["color"]["field"] == "measure_"  # a fresh name: "measure" is a column already
    assert enc["y"]["field"] == "value" and enc["y"]["title"] == "Loans, Measure"
    rows = next(iter(spec["datasets"].values()))
    assert sorted((r["measure_"], r["value"]) for r in rows) == [
        ("loans", 1), ("loans", 2), ("loans", 3), ("measure", 0), ("measure", 1),
        ("measure", 1)]


# --- number and time formats --------------------------------------------------------------

@pytest.mark.parametrize("name,type_,values,kind", [
    ("loan_amount", "decimal128(14, 2)", [33097.25, 10.0], "money"),
    ("balance", "decimal128(18, 2)", [1.0], "money"),
    ("amount", "double", [1.5], "decimal"),  # money needs a decimal column
    ("default_rate", "double", [0.05, 0.5], "percent"),
    ("share_of_loans", "double", [0.1, 0.9], "percent"),
    ("interest_rate", "double", [3.5, 7.25], "decimal"),  # already in percent units
    ("pct", "decimal128(5, 4)", [0.25], "percent"),
    ("loans", "int64", [33097], "integer"),
    ("separate", "double", [0.5], "decimal"),  # 'rate' inside a word is not a rate
])
def test_number_format_from_name_type_and_values(name, type_, values, kind):
    assert number_format(name, type_, pd.Series(values)).kind == kind


def test_formats_reach_axes_tooltips_and_metric_text():
    table = pa.table({"region": ["a", "b"], "total_amount": pa.array(
        [33097.25, 1200.5]).cast(pa.decimal128(14, 2)), "default_rate": [0.031, 0.2],
        "loans": [33097, 5]})
    df = result_of(table).df
    bar = charts.to_altair(ChartSpec("bar", "region", "total_amount"), df).to_dict()
    assert bar["encoding"]["y"]["axis"]["format"] == "$,.2f"
    assert {t["field"]: t["format"] for t in bar["encoding"]["tooltip"] if "format" in t} == {
        "total_amount": "$,.2f"}
    rate = charts.to_altair(ChartSpec("line", "region", "default_rate"), df).to_dict()
    assert rate["encoding"]["y"]["axis"]["format"] == ".1%"
    metric = charts.to_altair(ChartSpec("metric", y="loans"), df).to_dict()
    assert metric["encoding"]["text"]["format"] == ",d"
    assert format_value(33097.25, number_format("x", "double")) == "33,097.25"
    assert format_value(0.031, number_format("default_rate", "double", pd.Series([0.031]))) == "3.1%"
    assert format_value(-5, number_format("cost", "decimal128(9, 2)")) == "-$5.00"


@pytest.mark.parametrize("values,unit,fmt,year", [
    (["2022-01-01", "2023-01-01"], "year", "%Y", None),
    (["2022-11-01", "2023-02-01"], "yearmonth", "%b %Y", None),
    (["2022-12-30", "2023-01-02"], "yearmonthdate", "%d %b %Y", None),
    (["2024-03-01", "2024-03-09"], "yearmonthdate", "%d %b", 2024),  # the year goes in the title
    (["2024-03-01 10:30", "2025-03-01 11:00"], None, "%d %b %Y", None),
])
def test_time_axis_keeps_the_year(values, unit, fmt, year):
    axis = time_axis(pd.Series(pd.to_datetime(values)))
    assert (axis.unit, axis.format, axis.year) == (unit, fmt, year)


def test_a_single_year_axis_names_the_year_in_its_title():
    days = pa.array(["2024-03-01", "2024-03-02", "2024-03-05"]).cast(pa.date32())
    spec = charts.to_altair(ChartSpec("bar", "day", "n"),
                            result_of(pa.table({"day": days, "n": [1, 2, 3]})).df).to_dict()
    assert spec["encoding"]["x"]["title"] == "Day (2024)"
    assert spec["encoding"]["x"]["timeUnit"] == "yearmonthdate"
