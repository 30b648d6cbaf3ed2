"""Answers computed locally from a result, and error text scrubbed of values, for no-exposure mode.

When a connection does not share data with the model, figures in the answer come from here
(deterministic, never the LLM), and database errors lose quoted values that came from rows.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Iterable

from olympus.charts import kinds

if TYPE_CHECKING:
    from olympus.runner import QueryResult

_QUOTED = re.compile(r"""(["'])(.*?)\1""", re.S)
HIDDEN = "<value hidden>"
MAX_FIELDS = 6


def fmt(value: Any) -> str:
    """A value as a person reads it: 1,234 / 12.35 / 2024-03-01 / NULL."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return f"{int(number):,}"
        return f"{number:,.2f}" if abs(number) >= 1 else f"{number:.4g}"
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") or "T00:00:00" in text[:19] else text
    return str(value)


def shown(result: "QueryResult", column: str, value: Any) -> str:
    """A cell as the table shows it: a rate column (named like one, values in [0, 1]) as 7.1%."""
    from olympus.chart_formats import number_format

    kind = dict(zip(result.columns, result.types)).get(column, "")
    if value is None or not kind or kind.startswith(("int", "uint", "string", "large_string")):
        return fmt(value)
    if number_format(column, kind, result.df[column]).kind != "percent":
        return fmt(value)
    try:
        return f"{float(value):.1%}"
    except (TypeError, ValueError):
        return fmt(value)


def summarize(result: "QueryResult") -> str:
    """One or two sentences of facts about a result, computed here, never by the model."""
    n, cols = result.row_count, list(result.columns)
    if n == 0:
        return "The query returned no rows."
    first = result.df.iloc[0].tolist()
    if n == 1 and len(cols) == 1:
        return f"The answer is {shown(result, cols[0], first[0])} ({cols[0]})."
    if n == 1:
        pairs = ", ".join(f"{c} = {shown(result, c, v)}"
                          for c, v in list(zip(cols, first))[:MAX_FIELDS])
        return f"One row: {pairs}."
    cut = " (cut at the row limit)" if result.truncated else ""
    return f"{n:,} rows{cut}. {_extremes(result)}".strip()


def _extremes(result: "QueryResult") -> str:
    """Highest and lowest of the first measure, labelled by the first other column."""
    by_kind = kinds(result.columns, result.types)
    measures = [c for c, k in by_kind.items() if k == "quantitative"]
    labels = [c for c in result.columns if c not in measures]
    if not measures:
        return f"Columns: {', '.join(result.columns)}."
    m = measures[0]
    values = result.df[m].astype("float64")
    if values.notna().sum() == 0:
        return f"{m} is empty."
    hi, lo = values.idxmax(), values.idxmin()

    def at(i) -> str:
        label = f" ({fmt(result.df[labels[0]].iloc[i])})" if labels else ""
        return f"{shown(result, m, result.df[m].iloc[i])}{label}"

    return f"Highest {m}: {at(hi)}; lowest: {at(lo)}."


def scrub(text: str, allowed: Iterable[str], sql: str = "") -> str:
    """Quoted pieces of an error that are not names or SQL text (so could be row values) hidden."""
    keep = {a.lower() for a in allowed if a}
    written = sql.lower()

    def hide(match: re.Match) -> str:
        inner = match.group(2)
        if not inner.strip() or inner.lower() in keep or inner.lower() in written:
            return match.group(0)
        return f"{match.group(1)}{HIDDEN}{match.group(1)}"

    return _QUOTED.sub(hide, text)
