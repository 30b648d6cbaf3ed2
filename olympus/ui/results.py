"""A query result on screen: facts, an automatic chart with controls, the table, downloads of
the rows shown and of every row."""

from __future__ import annotations

import re
from typing import Callable

import streamlit as st

from olympus import charts, downloads
from olympus.chart_formats import format_value, number_format
from olympus.charts import MARK_LABELS, ChartSpec, ChartSpecError
from olympus.downloads import FORMATS
from olympus.runner import QueryResult
from olympus.ui import downloads as all_rows
from olympus.ui import widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS

NO_CHART = "none"
MAX_MEASURES = 6  # more lines than this on one chart stop being readable
_CALENDAR = re.compile(r"year|yr|month|week|day|quarter|hour", re.IGNORECASE)


def result_view(result: QueryResult, *, key: str, spec: ChartSpec | None = None,
                name: str = "result", connection: str | None = None,
                on_refresh: Callable[[], None] | None = None,
                fetch: "downloads.Fetch | None" = None) -> None:
    """Row count / truncation / time, then chart, table and downloads; a chart failure never
    hides the table. With `connection` (or `fetch`), a cut result offers every row as a file.
    A cached result says so, with Refresh (`on_refresh`, else the same SQL on `connection`)."""
    result = st.session_state.get(f"{key}:fresh") or result
    facts = [f"**{result.row_count:,}** row{'s' if result.row_count != 1 else ''}",
             f"{len(result.columns)} column{'s' if len(result.columns) != 1 else ''}",
             f"{result.elapsed_ms:,.0f} ms"]
    st.markdown(" · ".join(facts))
    if result.cached_at is not None:
        cache_note(result, key=key, connection=connection, on_refresh=on_refresh)
    if result.truncated:
        st.warning(md_text(result.truncation_note), icon=":material/content_cut:")
    if result.row_count == 0:
        st.info("The query ran and returned no rows.", icon=":material/inbox:")
        return
    widgets.guarded(lambda: chart_section(result, key=key, spec=spec), show_sql=False)
    st.dataframe(result.df, hide_index=True, key=f"{key}:table",
                 height=min(38 + 35 * result.row_count, 380),
                 column_config={**_number_columns(result), **_date_columns(result)})
    download_section(result, key=key, name=_slug(name), connection=connection, fetch=fetch)


def cache_note(result: QueryResult, *, key: str, connection: str | None,
               on_refresh: Callable[[], None] | None) -> None:
    """'from cache · 3 min ago' and a Refresh button that runs the query past the cache."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f":material/bolt: from cache · {md_text(widgets.ago(result.cached_at))}")
        can = on_refresh is not None or connection is not None
        clicked = can and st.button("Refresh", key=f"{key}:refresh", type="tertiary",
                                    icon=":material/refresh:",
                                    help="Run the query again on the database now")
    if not clicked:
        return
    if on_refresh is not None:
        on_refresh()
        return
    from olympus.ui.resources import workspace

    fresh, _ = widgets.guarded(lambda: workspace().run_sql(connection, result.sql,
                                                           refresh=True))
    if fresh is not None:
        st.session_state[f"{key}:fresh"] = fresh
        st.rerun()


def download_section(result: QueryResult, *, key: str, name: str, connection: str | None,
                     fetch: "downloads.Fetch | None" = None) -> None:
    """The rows shown in the chosen format; when the row limit cut them, every row too (the
    query again on `connection`, or `fetch`: a notebook cell's statement)."""
    with st.container(horizontal=True, vertical_alignment="bottom"):
        fmt = st.segmented_control("File format", list(FORMATS), default="csv",
                                   key=f"{key}:fmt", format_func=lambda f: FORMATS[f][0],
                                   label_visibility="collapsed") or "csv"
        label = FORMATS[fmt][0]
        shown = "Download " + label if not result.truncated else f"Download {label} (rows shown)"
        st.download_button(shown, data=lambda: downloads.to_bytes(result, fmt),
                           file_name=f"{name}.{fmt}", mime=FORMATS[fmt][1],
                           icon=ICONS["download"], key=f"{key}:csv", on_click="ignore")
        if result.truncated_by == "rows":
            fetch = fetch or _again(connection, result.sql)
        whole = fetch is not None and result.truncated_by == "rows"
        clicked = whole and all_rows.button(key=key)
    if whole:
        all_rows.offer(key=key, name=name, fmt=fmt, fetch=fetch, clicked=clicked)


def _again(connection: str | None, sql: str) -> "downloads.Fetch | None":
    """The same SQL on the same connection, without the row limit (None: no connection, or
    the viewer may not query; core refuses them anyway)."""
    if connection is None:
        return None
    from olympus.ui.resources import workspace

    ws = workspace()  # read here: the worker thread runs without the page's context
    if not ws.principal.can("query"):
        return None
    return lambda handle: downloads.fetch_all(ws, connection, sql, handle=handle)


def chart_section(result: QueryResult, *, key: str, spec: ChartSpec | None) -> None:
    """The suggested chart (or the agent's spec), with chart-type and axis controls."""
    suggested = _valid(spec, result) or charts.suggest_for(result)
    measures = charts.axis_choices(result.columns, result.types, "bar")["y"]
    if not measures:
        st.caption(":material/bar_chart: No chart: the result has no numeric column.")
        return
    options = [*charts.MARKS, NO_CHART]
    default = suggested.mark if suggested else NO_CHART
    if suggested is None and _is_dump(result):
        st.caption(f":material/table_rows: {result.row_count:,} rows of records, not a summary: "
                   "the table shows them best. Pick a chart type to plot them anyway.")
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
        types = dict(zip(result.columns, result.types))
        fmt = number_format(chosen.y, types.get(chosen.y, "double"), result.df[chosen.y])
        shown = format_value(value, fmt)  # a formatted number as is; other values as text
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
    wanted = [m for m in (hint.measures if hint else ()) if m in choices["y"]] or choices["y"][:1]
    ys = cols[1].multiselect("Y axis", choices["y"], default=wanted, key=f"{key}:ys",
                             max_selections=MAX_MEASURES, help="Several measures: one series each")
    if len(ys) > 1:  # the colour is the measure
        cols[2].selectbox("Colour", ["By measure"], key=f"{key}:color-measure", disabled=True)
        return ChartSpec(mark, x, ys[0], None, tuple(ys[1:]))
    color_opts = [None, *[c for c in choices["color"] if c not in (x, *ys)]]
    color = _pick(cols[2], "Colour", color_opts, hint.color if hint else None, key, "color",
                  none_label="None")
    return ChartSpec(mark, x, ys[0] if ys else None, color)


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


def _is_dump(result: QueryResult) -> bool:
    first = result.columns[:1]
    cardinality = {c: int(result.df[c].nunique()) for c in first}
    return charts.raw_dump(result.columns, result.types, result.row_count, cardinality)


def _number_columns(result: QueryResult) -> dict:
    """Separators, money and percentages in the table as on the chart (keys and calendar
    numbers such as years stay plain)."""
    config = {}
    for name, type_ in zip(result.columns, result.types):
        if charts.column_kind(type_, name) != "quantitative":
            continue
        fmt = number_format(name, type_, result.df[name])
        if fmt.kind == "integer" and _CALENDAR.search(name):
            continue
        config[name] = st.column_config.NumberColumn(format=fmt.table)
    return config


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:40] or "result"
