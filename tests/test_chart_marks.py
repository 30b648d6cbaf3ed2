"""Charts as a person sees them: every mark x result shape is rendered to PNG (vl-convert, the
Vega engine without a browser) and must draw marks, i.e. coloured pixels that vanish when the
marks are made invisible. A spec can be valid and still draw nothing; these tests see that."""

from __future__ import annotations

import copy
import io
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import vl_convert
from PIL import Image

from olympus import charts
from olympus.charts import ChartSpec


# Each shape is a real DuckDB query, so the Arrow types are the ones the app gets.
SHAPES = {
    "few categories": ("SELECT 'region ' || i AS region, (i * 7 + 3) AS loans "
                       "FROM range(1, 6) r(i)", "region", "loans", None),
    "many categories": ("SELECT 'branch ' || lpad(i::varchar, 2, '0') AS branch, "
                        "(i * 13 % 29 + 1) * 1000 AS loans FROM range(1, 31) r(i)",
                        "branch", "loans", None),
    "dates": ("SELECT (DATE '2022-01-01' + to_months(i::int))::DATE AS month, "
              "(i * 37 % 11 + 2)::DECIMAL(14, 2) * 1000.5 AS amount FROM range(24) r(i)",
              "month", "amount", None),
    "daily timestamps": ("SELECT TIMESTAMPTZ '2023-12-20 00:00:00+00' + to_days(i::int) AS day, "
                         "(i % 7 + 1) * 3 AS orders FROM range(30) r(i)", "day", "orders", None),
    "numbers on x": ("SELECT 2000 + i AS year, (i * 17 % 13 + 1) AS loans FROM range(20) r(i)",
                     "year", "loans", None),
    "many numbers on x": ("SELECT i / 10.0 AS rate_bucket, (i * 17 % 13 + 1) AS loans "
                          "FROM range(200) r(i)", "rate_bucket", "loans", None),
    "colour split": ("SELECT (DATE '2023-01-01' + to_months(m::int))::DATE AS month, "
                     "'region ' || g AS region, (m * g % 9 + 1) * 10 AS loans "
                     "FROM range(12) a(m), range(1, 4) b(g)", "month", "loans", "region"),
}
MARKS = ("bar", "line", "area", "scatter", "metric")


def result_of(sql: str):
    table = duckdb.sql(sql).to_arrow_table()
    types = {c: str(t) for c, t in zip(table.column_names, table.schema.types)}
    return table.to_pandas(types_mapper=pd.ArrowDtype), types


def png(spec: dict) -> np.ndarray:
    """The chart as RGB pixels, 600 px wide like a page column."""
    spec = {**spec, "width": 600}
    data = vl_convert.vegalite_to_png(json.dumps(spec), scale=1)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def invisible(spec: dict) -> dict:
    """The same chart with its marks drawn fully transparent: axes, grid and legend only."""
    out = copy.deepcopy(spec)
    mark = out["mark"] if isinstance(out["mark"], dict) else {"type": out["mark"]}
    mark.update(opacity=0, fillOpacity=0, strokeOpacity=0)
    if "point" in mark:
        mark["point"] = False
    if "line" in mark:
        mark["line"] = False
    out["mark"] = mark
    return out


def mark_pixels(spec: dict) -> tuple[int, np.ndarray]:
    """How many pixels the marks paint (coloured, or dark text for a metric) that the bare
    chart doesn't, and the mask of the chart's coloured pixels."""
    shown, bare = png(spec), png(invisible(spec))
    assert shown.shape == bare.shape
    coloured = (shown.max(axis=2) - shown.min(axis=2)) > 40
    dark = shown.max(axis=2) < 120
    painted = (np.abs(shown - bare).sum(axis=2) > 60) & (coloured | dark)
    return int(painted.sum()), coloured


def runs(line: np.ndarray) -> int:
    """Separate stretches of True along a line: bars seen side by side."""
    padded = np.concatenate([[False], line, [False]])
    return int((np.diff(padded.astype(int)) == 1).sum())


@pytest.mark.parametrize("mark", MARKS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_mark_draws_on_every_shape(mark, shape):
    sql, x, y, color = SHAPES[shape]
    df, types = result_of(sql)
    spec = ChartSpec(mark, x=None if mark == "metric" else x, y=y,
                     color=None if mark == "metric" else color)
    chart = charts.to_altair(spec, df, types).to_dict()
    painted, _ = mark_pixels(chart)
    assert painted > (200 if mark != "metric" else 100), f"{mark} on {shape}: blank chart"


@pytest.mark.parametrize("shape", ["few categories", "many categories", "dates", "numbers on x"])
def test_one_bar_per_category_is_visible(shape):
    sql, x, y, _ = SHAPES[shape]
    df, types = result_of(sql)
    chart = charts.to_altair(ChartSpec("bar", x, y), df, types).to_dict()
    _, coloured = mark_pixels(chart)
    horizontal = chart["encoding"]["y"]["field"] == x
    projection = coloured.any(axis=1 if horizontal else 0)
    assert horizontal == (shape == "many categories")
    # every category has its own bar: as many separate coloured stretches as values
    assert runs(projection) == df[x].nunique(), (shape, runs(projection))


def test_several_measures_draw_one_series_each():
    df, types = result_of("SELECT (DATE '2023-01-01' + to_months(i::int))::DATE AS month, "
                          "(i + 1) * 10 AS loans, (i + 1) * 4 AS defaults FROM range(12) r(i)")
    spec = charts.to_altair(ChartSpec("line", "month", "loans", more_y=("defaults",)),
                            df, types).to_dict()
    assert spec["encoding"]["color"]["sort"] == ["loans", "defaults"]
    shown = png(spec)
    coloured = (shown.max(axis=2) - shown.min(axis=2)) > 40
    colours = {tuple(p // 16) for p in shown[coloured]}
    assert len(colours) >= 2  # two series, two hues (plus anti-aliasing shades)
    painted, _ = mark_pixels(spec)
    assert painted > 200
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 24 and {r["measure"] for r in rows} == {"loans", "defaults"}


def test_time_axis_ticks_keep_the_year():
    df, types = result_of(SHAPES["dates"][0])
    spec = charts.to_altair(ChartSpec("line", "month", "amount"), df, types).to_dict()
    assert "%Y" in spec["encoding"]["x"]["axis"]["format"]
    # rendered: every tick label of a 2022-2023 monthly axis reads as a year-carrying label
    svg = vl_convert.vegalite_to_svg(json.dumps(spec))
    assert svg.count("2022") >= 2 and svg.count("2023") >= 2
