"""Result -> declarative chart spec -> Altair: charts are data, never code to execute."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from olympus.errors import ConfigError

if TYPE_CHECKING:  # heavy imports stay lazy
    import altair as alt
    import pandas as pd

MARKS = ("line", "bar", "area", "scatter", "metric")
MARK_LABELS = {"line": "Line", "bar": "Bar", "area": "Area", "scatter": "Scatter",
               "metric": "Single value"}
CHART_ROW_CAP = 5_000  # Altair embeds rows in the spec; past this the table is the view
MAX_COLOR_GROUPS = 12  # more series than this is noise, not a chart
_KEY_NAME = re.compile(r"(^id$|_id$|^id_|uuid|_key$|_code$|zip|phone)", re.IGNORECASE)


class ChartSpecError(ConfigError):
    """A chart spec names a mark or column the result doesn't have."""

    kind, title = "chart_spec", "Invalid chart"
    suggestion = "Pick columns that exist in the result and a supported chart type."


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: a mark and the result columns on x, y and colour."""

    mark: str
    x: str | None = None
    y: str | None = None
    color: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    if row_count == 0 or not measures:
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


def suggest_for(result) -> ChartSpec | None:
    """suggest() for a QueryResult, with distinct counts of its categorical columns."""
    by_kind = kinds(result.columns, result.types)
    cardinality = {c: int(result.df[c].nunique()) for c, k in by_kind.items() if k == "nominal"}
    return suggest(result.columns, result.types, result.row_count, cardinality=cardinality)


def validate(spec: ChartSpec | Mapping[str, Any], columns: Sequence[str]) -> ChartSpec:
    """Check a spec (e.g. from an LLM) against the result's columns; raise ChartSpecError."""
    if isinstance(spec, Mapping):
        unknown_keys = set(spec) - {"mark", "x", "y", "color"}
        if unknown_keys:
            raise ChartSpecError(f"Unknown chart setting(s): {', '.join(sorted(unknown_keys))}.")
        spec = ChartSpec(**{k: (v or None) for k, v in spec.items()})
    mark = {"point": "scatter", "circle": "scatter"}.get(str(spec.mark).lower(), str(spec.mark).lower())
    if mark not in MARKS:
        raise ChartSpecError(f"Unknown chart type {spec.mark!r}. Use one of: {', '.join(MARKS)}.")
    for axis in ("x", "y", "color"):
        value = getattr(spec, axis)
        if value is not None and value not in columns:
            raise ChartSpecError(f"Column {value!r} ({axis}) is not in the result.",
                                 suggestion=f"Columns: {', '.join(columns)}.")
    if spec.y is None or (mark != "metric" and spec.x is None):
        need = "y" if mark == "metric" else "x and y"
        raise ChartSpecError(f"A {MARK_LABELS[mark].lower()} chart needs {need}.")
    return replace(spec, mark=mark)


def to_altair(spec: ChartSpec, df: "pd.DataFrame", types: Mapping[str, str] | None = None,
              *, height: int = 320) -> "alt.Chart":
    """Render a validated spec; column kinds come from the Arrow types, data is capped."""
    import altair as alt

    spec = validate(spec, list(df.columns))
    types = dict(types or {c: str(t) for c, t in df.dtypes.items()})
    used = [c for c in dict.fromkeys((spec.x, spec.y, spec.color)) if c]
    data = plain(df[used].head(CHART_ROW_CAP))
    if spec.mark == "metric":
        return alt.Chart(data.head(1)).mark_text(fontSize=48, fontWeight="bold").encode(
            text=alt.Text(field=field_ref(spec.y), type="quantitative", format=",")
        ).properties(height=height)
    enc = _encodings(spec, types, data)
    mark = {"line": alt.Chart(data).mark_line(point=len(data) <= 60),
            "bar": alt.Chart(data).mark_bar(cornerRadiusEnd=3),
            "area": alt.Chart(data).mark_area(opacity=0.75, line=True),
            "scatter": alt.Chart(data).mark_circle(size=60, opacity=0.7)}[spec.mark]
    return mark.encode(**enc).properties(height=height).interactive(bind_y=False)


def _encodings(spec: ChartSpec, types: Mapping[str, str], data) -> dict[str, Any]:
    import altair as alt

    def kind(col: str) -> str:
        found = column_kind(types.get(col, "string"), col)
        if spec.mark == "bar" and col == spec.x and found == "quantitative":
            return "ordinal"  # bars over numbers (years, ages) read as buckets
        return found

    xk, yk = kind(spec.x), kind(spec.y)
    x_title, y_title = _title(spec.x), _title(spec.y)
    x_ref, y_ref = field_ref(spec.x), field_ref(spec.y)
    horizontal = spec.mark == "bar" and xk == "nominal" and data[spec.x].nunique() > 12
    if horizontal:  # long category lists read better as rows
        enc = {"y": alt.Y(field=x_ref, type="nominal", sort="-x", title=x_title),
               "x": alt.X(field=y_ref, type=yk, title=y_title)}
    else:
        sort = {"sort": "-y"} if spec.mark == "bar" and xk == "nominal" and not spec.color else {}
        enc = {"x": alt.X(field=x_ref, type=xk, title=x_title, **sort),
               "y": alt.Y(field=y_ref, type=yk, title=y_title)}
    if spec.color:
        enc["color"] = alt.Color(field=field_ref(spec.color), type=kind(spec.color),
                                 title=_title(spec.color))
    enc["tooltip"] = [alt.Tooltip(field=field_ref(c), type=kind(c), title=_title(c))
                      for c in dict.fromkeys((spec.x, spec.y, spec.color)) if c]
    return enc


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
