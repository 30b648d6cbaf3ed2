"""Result -> declarative chart spec -> Altair: charts are data, never code to execute."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from olympus.chart_formats import (DECIMAL, NumberFormat, TimeAxis, number_axis, number_format,
                                   time_axis, time_options)
from olympus.errors import ConfigError

if TYPE_CHECKING:  # heavy imports stay lazy
    import altair as alt
    import pandas as pd

MARKS = ("line", "bar", "area", "scatter", "metric")
MARK_LABELS = {"line": "Line", "bar": "Bar", "area": "Area", "scatter": "Scatter",
               "metric": "Single value"}
CHART_ROW_CAP = 5_000  # Altair embeds rows in the spec; past this the table is the view
MAX_COLOR_GROUPS = 12  # more series than this is noise, not a chart
HORIZONTAL_AFTER = 12  # more bar categories than this turn the bars on their side
MAX_BAR_BANDS = 60  # past this many distinct numbers, bars sit on a continuous x axis
RAW_DUMP_ROWS = 500  # past this, rows keyed by an id are a listing, not something to plot
_KEY_NAME = re.compile(r"(^id$|_id$|^id_|uuid|_key$|_code$|zip|phone)", re.IGNORECASE)


class ChartSpecError(ConfigError):
    """A chart spec names a mark or column the result doesn't have."""

    kind, title = "chart_spec", "Invalid chart"
    suggestion = "Pick columns that exist in the result and a supported chart type."


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: a mark and the result columns on x, y (plus more measures) and colour."""

    mark: str
    x: str | None = None
    y: str | None = None
    color: str | None = None
    more_y: tuple[str, ...] = ()  # further measures on y: one series (colour) per measure

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for m in (self.y, *self.more_y) if m))

    def to_dict(self) -> dict[str, Any]:
        """JSON form; "more_y" only when there are more measures."""
        out = asdict(self)
        more = out.pop("more_y")
        return {**out, "more_y": list(more)} if more else out


def column_kind(arrow_type: str, name: str = "") -> str:
    """temporal | quantitative | nominal for one column, from its Arrow type name (and name)."""
    t = arrow_type.lower()
    if t.startswith(("timestamp", "date", "time")):
        return "temporal"
    if t.startswith(("int", "uint", "float", "double", "decimal", "halffloat")):
        return "nominal" if _KEY_NAME.search(name) else "quantitative"
    return "nominal"  # string, bool, binary, null, lists...


def kinds(columns: Sequence[str], types: Sequence[str]) -> dict[str, str]:
    return {c: column_kind(t, c) for c, t in zip(columns, types)}


def suggest(columns: Sequence[str], types: Sequence[str], row_count: int, *,
            cardinality: Mapping[str, int] | None = None) -> ChartSpec | None:
    """The chart a person would pick first; None when a table says it best."""
    by_kind = kinds(columns, types)
    measures = [c for c, k in by_kind.items() if k == "quantitative"]
    times = [c for c, k in by_kind.items() if k == "temporal"]
    cats = [c for c, k in by_kind.items() if k == "nominal"]
    if row_count == 0 or not measures or raw_dump(columns, types, row_count, cardinality):
        return None
    if row_count == 1 and not times:
        return ChartSpec("metric", y=measures[0])
    if times:
        return ChartSpec("line", x=times[0], y=measures[0], color=_color(cats, cardinality))
    if cats:
        return ChartSpec("bar", x=cats[0], y=measures[0], color=_color(cats[1:], cardinality))
    if len(measures) >= 2:
        return ChartSpec("scatter", x=measures[0], y=measures[1])
    return None


def _color(cats: list[str], cardinality: Mapping[str, int] | None) -> str | None:
    """A category to split series by, when it has few enough distinct values to read."""
    for name in cats:
        if cardinality is None or cardinality.get(name, MAX_COLOR_GROUPS + 1) <= MAX_COLOR_GROUPS:
            return name
    return None


def raw_dump(columns: Sequence[str], types: Sequence[str], row_count: int,
             cardinality: Mapping[str, int] | None = None) -> bool:
    """Rows as stored, not a summary: a table reads them, a chart would be noise. True when
    every column is text, or past RAW_DUMP_ROWS rows when the first column is a key (named like
    an id, or not a time and distinct on every row)."""
    by_kind = kinds(columns, types)
    if by_kind and all(k == "nominal" for k in by_kind.values()):
        return True
    if row_count <= RAW_DUMP_ROWS or not columns:
        return False
    first = columns[0]
    if _KEY_NAME.search(first):
        return True
    distinct = (cardinality or {}).get(first)
    return by_kind[first] != "temporal" and distinct is not None and distinct >= row_count


def suggest_for(result) -> ChartSpec | None:
    """suggest() for a QueryResult, with distinct counts of its categorical columns (and of
    its first column, to tell a key from a dimension)."""
    by_kind = kinds(result.columns, result.types)
    wanted = [c for c, k in by_kind.items() if k == "nominal"] + list(result.columns[:1])
    cardinality = {c: int(result.df[c].nunique()) for c in dict.fromkeys(wanted)}
    return suggest(result.columns, result.types, result.row_count, cardinality=cardinality)


def validate(spec: ChartSpec | Mapping[str, Any], columns: Sequence[str]) -> ChartSpec:
    """Check a spec (e.g. from an LLM) against the result's columns; raise ChartSpecError."""
    if isinstance(spec, Mapping):
        spec = _from_mapping(spec)
    mark = {"point": "scatter", "circle": "scatter"}.get(str(spec.mark).lower(), str(spec.mark).lower())
    if mark not in MARKS:
        raise ChartSpecError(f"Unknown chart type {spec.mark!r}. Use one of: {', '.join(MARKS)}.")
    named = [("x", spec.x), ("y", spec.y), ("color", spec.color), *(("y", m) for m in spec.more_y)]
    for axis, value in named:
        if value is not None and value not in columns:
            raise ChartSpecError(f"Column {value!r} ({axis}) is not in the result.",
                                 suggestion=f"Columns: {', '.join(columns)}.")
    if spec.y is None or (mark != "metric" and spec.x is None):
        need = "y" if mark == "metric" else "x and y"
        raise ChartSpecError(f"A {MARK_LABELS[mark].lower()} chart needs {need}.")
    more = () if mark == "metric" else tuple(m for m in dict.fromkeys(spec.more_y) if m != spec.y)
    return replace(spec, mark=mark, more_y=more, color=None if more else spec.color)


def _from_mapping(spec: Mapping[str, Any]) -> ChartSpec:
    """A dict spec; "y" may list several measures."""
    unknown_keys = set(spec) - {"mark", "x", "y", "color", "more_y"}
    if unknown_keys:
        raise ChartSpecError(f"Unknown chart setting(s): {', '.join(sorted(unknown_keys))}.")
    values = {k: (v or None) for k, v in spec.items()}
    more = values.pop("more_y", None) or ()
    more = (more,) if isinstance(more, str) else tuple(more)
    if isinstance(values.get("y"), (list, tuple)):
        ys = list(values["y"])
        values["y"], more = (ys[0] if ys else None), (*ys[1:], *more)
    return ChartSpec(**values, more_y=more)


def to_altair(spec: ChartSpec, df: "pd.DataFrame", types: Mapping[str, str] | None = None,
              *, height: int = 320) -> "alt.Chart":
    """Render a validated spec; column kinds come from the Arrow types, data is capped."""
    import altair as alt

    spec = validate(spec, list(df.columns))
    types = dict(types or {c: str(t) for c, t in df.dtypes.items()})
    used = [c for c in dict.fromkeys((spec.x, *spec.measures, spec.color)) if c]
    data = plain(df[used].head(CHART_ROW_CAP))
    formats = {c: number_format(c, types.get(c, "double"), data[c]) for c in spec.measures}
    if spec.mark == "metric":
        return alt.Chart(data.head(1)).mark_text(fontSize=48, fontWeight="bold").encode(
            text=alt.Text(field=field_ref(spec.y), type="quantitative",
                          format=formats[spec.y].d3)).properties(height=height)
    titles, order = {c: _title(c) for c in used}, list(spec.measures)
    if spec.more_y:
        spec, data, types, formats, titles = _long_form(spec, data, types, formats)
    enc, rows = _encodings(spec, types, data, formats, titles, order if len(order) > 1 else ())
    if spec.mark == "bar":  # no scale binding: with rounded ends it blanks the bars
        return alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(**enc).properties(
            height=min(max(height, 18 * rows), 900))
    mark = {"line": alt.Chart(data).mark_line(point=len(data) <= 60),
            "area": alt.Chart(data).mark_area(opacity=0.75, line=True),
            "scatter": alt.Chart(data).mark_circle(size=60, opacity=0.7)}[spec.mark]
    return mark.encode(**enc).properties(height=height).interactive(bind_y=False)


def _long_form(spec: ChartSpec, data, types, formats):
    """Several measures -> one value column and a measure column to colour by."""
    measures = list(spec.measures)
    name, value = _fresh("measure", data.columns), _fresh("value", data.columns)
    long = data.melt(id_vars=[spec.x], value_vars=measures, var_name=name, value_name=value)
    kinds_of = {formats[m].kind for m in measures}
    fmt = formats[measures[0]] if len(kinds_of) == 1 else DECIMAL
    shown = ", ".join(_title(m) for m in measures)
    titles = {spec.x: _title(spec.x), name: "Measure", value: shown if len(shown) <= 40 else "Value"}
    types = {spec.x: types.get(spec.x, "string"), name: "string", value: "double"}
    return (ChartSpec(spec.mark, spec.x, value, name), long, types, {value: fmt}, titles)


def _fresh(name: str, taken) -> str:
    return name if name not in taken else _fresh(f"{name}_", taken)


def _encodings(spec: ChartSpec, types: Mapping[str, str], data, formats: Mapping[str, Any],
               titles: Mapping[str, str], color_order: Sequence[str] = ()
               ) -> tuple[dict[str, Any], int]:
    """x/y/colour/tooltip channels, and the number of rows when bars lie on their side."""
    import altair as alt

    def kind(col: str) -> str:
        found = column_kind(types.get(col, "string"), col)
        if (spec.mark == "bar" and col == spec.x and found == "quantitative"
                and data[col].nunique() <= MAX_BAR_BANDS):
            return "ordinal"  # bars over a few numbers (years, ages) read as buckets
        return found

    xk = kind(spec.x)
    times = time_axis(data[spec.x]) if xk == "temporal" else None
    x_opts = time_options(times, spec.mark == "bar", titles[spec.x]) if times else {}
    horizontal = (spec.mark == "bar" and xk == "nominal"
                  and data[spec.x].nunique() > HORIZONTAL_AFTER)
    x = {"field": field_ref(spec.x), "type": xk, "title": titles[spec.x], **x_opts}
    y = dict(field=field_ref(spec.y), type="quantitative", title=titles[spec.y],
             **number_axis(formats[spec.y]))
    if xk == "quantitative":
        x.update(number_axis(number_format(spec.x, types.get(spec.x, "double"), data[spec.x])))
    if horizontal:  # long category lists read better as rows
        enc = {"y": alt.Y(**{**x, "sort": "-x"}), "x": alt.X(**y)}
    else:
        sort = {"sort": "-y"} if spec.mark == "bar" and xk == "nominal" and not spec.color else {}
        enc = {"x": alt.X(**x, **sort), "y": alt.Y(**y)}
    if spec.color:
        order = {"sort": list(color_order)} if color_order else {}
        enc["color"] = alt.Color(field=field_ref(spec.color), type=kind(spec.color),
                                 title=titles[spec.color], **order)
    enc["tooltip"] = [_tooltip(c, kind(c), titles[c], formats.get(c),
                               *((x_opts, times) if c == spec.x else ({}, None)))
                      for c in dict.fromkeys((spec.x, spec.y, spec.color)) if c]
    return enc, (int(data[spec.x].nunique()) if horizontal else 0)


def _tooltip(col: str, kind: str, title: str, fmt: NumberFormat | None, x_opts,
             times: TimeAxis | None) -> Any:
    import altair as alt

    extra: dict[str, Any] = {}
    if kind == "quantitative":
        extra["format"] = (fmt or DECIMAL).d3
    elif kind == "temporal" and times:
        extra["format"] = times.format if "timeUnit" in x_opts else times.tooltip
        if "timeUnit" in x_opts:
            extra["timeUnit"] = x_opts["timeUnit"]
    return alt.Tooltip(field=field_ref(col), type=kind, title=title, **extra)


def field_ref(name: str) -> str:
    """A column name as a Vega-Lite field: never Altair shorthand, '.', '[' ']' and '\\' escaped."""
    return re.sub(r"([.\[\]\\])", r"\\\1", name)


def _title(name: str | None) -> str:
    return (name or "").replace("_", " ").strip().capitalize()


def plain(df: "pd.DataFrame") -> "pd.DataFrame":
    """Arrow-backed frame -> NumPy-backed (decimals as floats, dates as timestamps) for Vega."""
    import pandas as pd
    import pyarrow as pa

    out = {}
    for name in df.columns:
        arr = pa.array(df[name])
        if pa.types.is_decimal(arr.type):
            arr = arr.cast(pa.float64())
        elif pa.types.is_date(arr.type):
            arr = arr.cast(pa.timestamp("ms"))
        elif pa.types.is_time(arr.type) or pa.types.is_binary(arr.type):
            arr = arr.cast(pa.string())
        out[name] = arr.to_pandas()
    return pd.DataFrame(out, index=range(len(df)))


def axis_choices(columns: Sequence[str], types: Sequence[str], mark: str) -> dict[str, list[str]]:
    """Which columns make sense on each axis for a mark (measures on y, anything on x)."""
    by_kind = kinds(columns, types)
    measures = [c for c, k in by_kind.items() if k == "quantitative"]
    others = [c for c, k in by_kind.items() if k != "quantitative"]
    if mark == "scatter":
        return {"x": measures + others, "y": measures, "color": others}
    if mark == "metric":
        return {"x": [], "y": measures, "color": []}
    return {"x": others + measures, "y": measures, "color": others}
