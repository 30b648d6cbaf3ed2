"""A cell's result in its kept view: a table, a chart (the cell's chart spec) or one value. The
compact form draws only that view (cheap for a 30-cell notebook and the present view); the cell
being edited gets olympus.ui.results.result_view with every control, and can keep its chart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import streamlit as st

from olympus import charts
from olympus.chart_formats import format_value, number_format
from olympus.charts import ChartSpec, ChartSpecError
from olympus.notebooks.model import Cell, Notebook
from olympus.ui import downloads as all_rows
from olympus.ui import results, widgets
from olympus.ui.safe_text import md_text

if TYPE_CHECKING:
    from olympus.downloads import Fetch

TABLE_HEIGHT = 320


def show(cell: Cell, run: Any, *, key: str, full: bool = False, refresh=None,
         present: bool = False, notebook: Notebook | None = None) -> None:
    """The cell's last run in this session: an error box, or its result in the cell's view.
    With `notebook`, a result cut at the row limit offers every row as a file."""
    if run is None:
        if not present:
            st.caption(":material/hourglass_empty: Not run yet in this session.")
        return
    if run.status == "error" and run.error is not None:
        widgets.error_box(run.error, show_sql=not present)
        return
    result = run.result
    if result is None:
        return
    if run.answer and not present:
        st.markdown(widgets.safe_answer_markdown(run.answer))
    fetch = None if present else whole(cell, run, notebook)
    if full:
        results.result_view(result, key=key, spec=spec_of(cell, result), name=cell.name,
                            on_refresh=refresh, fetch=fetch)
        return
    compact(cell, result, key=key, refresh=refresh, present=present, fetch=fetch)


def whole(cell: Cell, run: Any, notebook: Notebook | None) -> "Fetch | None":
    """Every row of the cell's statement (as it ran: same SQL, upstream cells, parameters),
    for members who may query; None where there is nothing more to fetch."""
    result = run.result
    kept = result.truncated and result.cached_at is not None  # a stored result: cut is cut
    if notebook is None or not (result.truncated_by == "rows" or kept) or \
            not (cell.sql or "").strip():
        return None
    from olympus import downloads
    from olympus.ui import notebook_state as nstate
    from olympus.ui.resources import workspace

    ws = workspace()  # read here: the download runs in a worker thread
    if not ws.principal.can("query"):
        return None
    values, mark = dict(nstate.values(ws.owner, notebook)), run.fingerprint or None
    return lambda handle: downloads.fetch_cell(ws, notebook.id, cell.id, values, handle=handle,
                                               expect=mark)


def compact(cell: Cell, result, *, key: str, refresh=None, present: bool = False,
            fetch: "Fetch | None" = None) -> None:
    if not present:
        facts = f"{result.row_count:,} row{'s' if result.row_count != 1 else ''} · " \
                f"{result.elapsed_ms:,.0f} ms"
        if result.cached_at is not None:
            results.cache_note(result, key=key, connection=None, on_refresh=refresh)
        st.caption(facts)
    if result.truncated and not present:
        st.warning(md_text(result.truncation_note), icon=":material/content_cut:")
    if result.row_count == 0:
        st.info("The query ran and returned no rows.", icon=":material/inbox:")
        return
    kind = cell.view.kind
    if kind == "value":
        value(result)
    elif not (kind == "chart" and chart(cell, result, key=key)):
        st.dataframe(result.df, hide_index=True, key=f"{key}:table",
                     height=min(38 + 35 * result.row_count, TABLE_HEIGHT))
    if fetch is not None:
        all_rows.controls(key=key, name=results._slug(cell.name), fetch=fetch)


def value(result) -> None:
    """The first column of the first row as one metric (formatted as the chart would)."""
    column = result.columns[0]
    raw = result.df[column].iloc[0]
    types = dict(zip(result.columns, result.types))
    shown = format_value(raw, number_format(column, types.get(column, "string"), result.df[column]))
    shown = shown if re.fullmatch(r"-?[\d,]+(\.\d+)?", shown) else md_text(shown)
    st.metric(md_text(charts._title(column)), shown, border=True)


def chart(cell: Cell, result, *, key: str) -> bool:
    """The cell's chart; False (the table is drawn instead) when its spec doesn't fit."""
    spec = spec_of(cell, result)
    if spec is None:
        return False
    if spec.mark == "metric":
        value(result)
        return True
    types = dict(zip(result.columns, result.types))
    st.altair_chart(charts.to_altair(spec, result.df, types), width="stretch",
                    key=f"{key}:chart")
    return True


def spec_of(cell: Cell, result) -> ChartSpec | None:
    """The cell's chart spec checked against this result's columns (None: no fitting chart)."""
    if not cell.view.chart:
        return None if cell.view.kind != "chart" else charts.suggest_for(result)
    try:
        return charts.validate(dict(cell.view.chart), result.columns)
    except (ChartSpecError, TypeError, ValueError):
        return charts.suggest_for(result) if cell.view.kind == "chart" else None


def chosen_view(key: str) -> dict | None:
    """The view picked in result_view's controls (chart type, axes), as a cell view dict."""
    mark = st.session_state.get(f"{key}:mark")
    if not mark or mark == results.NO_CHART:
        return {"kind": "table", "chart": None}
    base = f"{key}:{mark}"
    if mark == "metric":
        return {"kind": "value", "chart": None}
    ys = list(st.session_state.get(f"{base}:ys") or [])
    if not ys:
        return None
    spec = {"mark": mark, "x": st.session_state.get(f"{base}:x"), "y": ys[0],
            "color": st.session_state.get(f"{base}:color")}
    if len(ys) > 1:
        spec["more_y"], spec["color"] = ys[1:], None
    return {"kind": "chart", "chart": spec}
