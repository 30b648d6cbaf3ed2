"""A query result on screen: facts, an automatic chart with controls, the table, CSV download."""

from __future__ import annotations

import re

import streamlit as st

from olympus import charts
from olympus.charts import MARK_LABELS, ChartSpec, ChartSpecError
from olympus.runner import QueryResult
from olympus.ui import widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS

NO_CHART = "none"


def result_view(result: QueryResult, *, key: str, spec: ChartSpec | None = None,
                name: str = "result") -> None:
    """Row count / truncation / time, then chart, table and download; a chart failure never
    hides the table."""
    facts = [f"**{result.row_count:,}** row{'s' if result.row_count != 1 else ''}",
             f"{len(result.columns)} column{'s' if len(result.columns) != 1 else ''}",
             f"{result.elapsed_ms:,.0f} ms"]
    st.markdown(" · ".join(facts))
    if result.truncated:
        st.warning(md_text(result.truncation_note), icon=":material/content_cut:")
    if result.row_count == 0:
        st.info("The query ran and returned no rows.", icon=":material/inbox:")
        return
    widgets.guarded(lambda: chart_section(result, key=key, spec=spec), show_sql=False)
    st.dataframe(result.df, hide_index=True, key=f"{key}:table",
                 height=min(38 + 35 * result.row_count, 380), column_config=_date_columns(result))
    st.download_button("Download CSV", data=lambda: result.df.to_csv(index=False),
                       file_name=f"{_slug(name)}.csv", mime="text/csv", icon=ICONS["download"],
                       key=f"{key}:csv", on_click="ignore")


def chart_section(result: QueryResult, *, key: str, spec: ChartSpec | None) -> None:
    """The suggested chart (or the agent's spec), with chart-type and axis controls."""
    suggested = _valid(spec, result) or charts.suggest_for(result)
    measures = charts.axis_choices(result.columns, result.types, "bar")["y"]
    if not measures:
        st.caption(":material/bar_chart: No chart: the result has no numeric column.")
        return
    options = [*charts.MARKS, NO_CHART]
    default = suggested.mark if suggested else NO_CHART
    mark = st.segmented_control("Chart", options, default=default, key=f"{key}:mark",
                                format_func=lambda m: MARK_LABELS.get(m, "Table only"),
                                label_visibility="collapsed") or default
    if mark == NO_CHART:
        return
    chosen = axis_controls(result, mark, key=f"{key}:{mark}", suggested=suggested)
    try:
        chosen = charts.validate(chosen, result.columns)
    except ChartSpecError as exc:
        st.caption(f":material/info: {md_text(exc.message)}")
        return
    if chosen.mark == "metric":
        value = result.df[chosen.y].iloc[0]
        shown = _fmt(value)  # a formatted number as is; any other cell value as plain text
        shown = shown if re.fullmatch(r"-?[\d,]+(\.\d+)?", shown) else md_text(shown)
        st.metric(md_text(charts._title(chosen.y)), shown, border=True)
        return
    types = dict(zip(result.columns, result.types))
    st.altair_chart(charts.to_altair(chosen, result.df, types), width="stretch",
                    key=f"{key}:chart")
    if result.row_count > charts.CHART_ROW_CAP:
        st.caption(f"Chart shows the first {charts.CHART_ROW_CAP:,} rows.")


def axis_controls(result: QueryResult, mark: str, *, key: str,
                  suggested: ChartSpec | None) -> ChartSpec:
    """x / y / colour pickers limited to the columns that make sense for this mark."""
    choices = charts.axis_choices(result.columns, result.types, mark)
    same = suggested if suggested and suggested.mark == mark else None
    fallback = charts.suggest(result.columns, result.types, result.row_count)
    cols = st.columns(3 if mark != "metric" else 1)
    if mark == "metric":
        y = _pick(cols[0], "Value", choices["y"], (same or fallback or ChartSpec(mark)).y, key, "y")
        return ChartSpec("metric", y=y)
    hint = same or (fallback if fallback and fallback.mark != "metric" else None)
    x = _pick(cols[0], "X axis", choices["x"], hint.x if hint else None, key, "x")
    y = _pick(cols[1], "Y axis", choices["y"], hint.y if hint else None, key, "y")
    color_opts = [None, *[c for c in choices["color"] if c not in (x, y)]]
    color = _pick(cols[2], "Colour", color_opts, hint.color if hint else None, key, "color",
                  none_label="None")
    return ChartSpec(mark, x, y, color)


def _pick(where, label: str, options: list, preferred, key: str, axis: str, *,
          none_label: str = "—"):
    if not options:
        return None
    index = options.index(preferred) if preferred in options else 0
    return where.selectbox(label, options, index=index, key=f"{key}:{axis}",
                           format_func=lambda v: none_label if v is None else str(v))


def _date_columns(result: QueryResult) -> dict:
    """Timestamps that are all midnight (date_trunc results) read better as plain dates."""
    config = {}
    for name, type_ in zip(result.columns, result.types):
        if type_.startswith("timestamp"):
            values = result.df[name].dropna()
            if len(values) and bool((values.dt.normalize() == values).all()):
                config[name] = st.column_config.DatetimeColumn(format="YYYY-MM-DD")
        elif type_.startswith("date"):
            config[name] = st.column_config.DateColumn(format="YYYY-MM-DD")
    return config


def _valid(spec: ChartSpec | None, result: QueryResult) -> ChartSpec | None:
    if spec is None:
        return None
    try:
        return charts.validate(spec, result.columns)
    except ChartSpecError:
        return None


def _fmt(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:40] or "result"
