"""How numbers and times read on a chart and in the table: money, rates, separators, years."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_MONEY = re.compile(r"amount|price|revenue|balance|cost|salary|income|spend|payment|fee|"
                    r"sales|profit|budget|principal|premium|usd|eur|gbp", re.IGNORECASE)
_RATE = re.compile(r"(^|_|\b)(rate|ratio|share|pct|percent|percentage|fraction|"
                   r"proportion|conversion|churn)s?($|_|\b)", re.IGNORECASE)


@dataclass(frozen=True)
class NumberFormat:
    """One measure's format: d3 for Vega-Lite, Streamlit's name for the table."""

    kind: str  # "money" | "percent" | "integer" | "decimal"
    d3: str
    table: str


MONEY = NumberFormat("money", "$,.2f", "dollar")
PERCENT = NumberFormat("percent", ".1%", "percent")
INTEGER = NumberFormat("integer", ",d", "localized")
DECIMAL = NumberFormat("decimal", ",.2~f", "localized")


def number_format(name: str, arrow_type: str, values: "pd.Series | None" = None) -> NumberFormat:
    """Money for decimal columns named like money; a percentage for rates whose values lie in
    [0, 1]; otherwise thousands separators (two decimals at most)."""
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return INTEGER
    if _RATE.search(name) and _within_unit(values):
        return PERCENT
    if _MONEY.search(name) and t.startswith("decimal"):
        return MONEY
    return DECIMAL


def _within_unit(values: "pd.Series | None") -> bool:
    if values is None:
        return False
    import pandas as pd

    numbers = pd.to_numeric(values.astype("float64[pyarrow]"), errors="coerce").dropna()
    return bool(len(numbers)) and bool(((numbers >= 0) & (numbers <= 1)).all())


def format_value(value, fmt: NumberFormat) -> str:
    """A single number as the chart would print it (for metrics)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if fmt.kind == "percent":
        return f"{number:.1%}"
    if fmt.kind == "money":
        return f"-${-number:,.2f}" if number < 0 else f"${number:,.2f}"
    if number.is_integer():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


@dataclass(frozen=True)
class TimeAxis:
    """A temporal axis: the time unit the values sit on (bars fill it) and a tick format."""

    unit: str | None  # "year" | "yearmonth" | "yearmonthdate" | None (finer than a day)
    format: str
    tooltip: str
    year: int | None = None  # the one year of a range whose ticks don't show it (for the title)


def time_axis(values: "pd.Series") -> TimeAxis:
    """Ticks carry the year whenever the range crosses a year (Vega's default shows it only at
    January); bars on whole days, months or years get that unit so they have a width."""
    import pandas as pd

    stamps = pd.to_datetime(values.dropna())
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    if stamps.empty:
        return TimeAxis(None, "%Y-%m-%d", "%Y-%m-%d %H:%M")
    midnight = bool((stamps.dt.normalize() == stamps).all())
    spans_years = stamps.min().year != stamps.max().year
    if midnight and bool(((stamps.dt.month == 1) & (stamps.dt.day == 1)).all()):
        return TimeAxis("year", "%Y", "%Y")
    if midnight and bool((stamps.dt.day == 1).all()):
        return TimeAxis("yearmonth", "%b %Y", "%b %Y")
    year = None if spans_years else int(stamps.min().year)
    if midnight:
        return TimeAxis("yearmonthdate", "%d %b %Y" if spans_years else "%d %b", "%d %b %Y", year)
    return TimeAxis(None, "%d %b %Y" if spans_years else "%d %b %H:%M", "%Y-%m-%d %H:%M", year)


def time_options(times: TimeAxis, bar: bool, title: str) -> dict[str, Any]:
    """Year-keeping tick format; bars sit on their time unit so they have a width."""
    import altair as alt

    opts: dict[str, Any] = {"axis": alt.Axis(format=times.format, labelOverlap=True)}
    if times.year is not None:
        opts["title"] = f"{title} ({times.year})"
    if bar and times.unit:
        opts["timeUnit"] = times.unit
    return opts


def number_axis(fmt: NumberFormat) -> dict[str, Any]:
    """Money and percentages say so on the axis; plain numbers keep Vega's separators."""
    import altair as alt

    return {"axis": alt.Axis(format=fmt.d3)} if fmt.kind in ("money", "percent") else {}
