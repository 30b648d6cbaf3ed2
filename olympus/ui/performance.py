"""Performance: the space's query latency, errors, cache and users for its admins, as Altair
charts and tables. Names and SQL are someone's text: shown only inside dataframes and charts."""

from __future__ import annotations

import streamlit as st

from olympus.errors import OlympusError
from olympus.ops.cost import size as _size
from olympus.ui import resources
from olympus.ui.widgets import ICONS, error_box

WINDOWS = {"Last 24 hours": 1, "Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}


def render() -> None:
    st.title(f"{ICONS['performance']} Performance", anchor=False)
    ws = resources.workspace()
    window = st.segmented_control("Window", list(WINDOWS), default="Last 7 days",
                                  key="perf:window") or "Last 7 days"
    try:
        figures = ws.stats(days=WINDOWS[window])
    except OlympusError as exc:
        error_box(exc)
        st.caption("Only admins of this space see its performance.")
        return
    _headline(figures)
    if not figures.queries:
        st.info("No queries in this window yet.", icon=ICONS["history"])
        return
    left, right = st.columns(2)
    with left:
        st.subheader("Latency per connection", anchor=False)
        st.altair_chart(latency_chart(figures.by_connection, "Connection"), width="stretch")
    with right:
        st.subheader("Latency per day", anchor=False)
        st.altair_chart(latency_chart(figures.by_day, "Day"), width="stretch")
    left, right = st.columns(2)
    with left:
        st.subheader("Errors by type", anchor=False)
        _bars(figures.errors_by_type, "Type", "Count", "No errors in this window.")
    with right:
        st.subheader("Most active users", anchor=False)
        _bars(figures.users, "User", "Queries", "No users.")
    _health(ws)
    st.subheader("Slowest queries", anchor=False)
    st.dataframe([{"ms": round(q.elapsed_ms, 1), "Connection": q.connection, "User": q.user,
                   "Rows": q.rows, "When (UTC)": q.at.strftime("%Y-%m-%d %H:%M"), "SQL": q.sql}
                  for q in figures.slowest], hide_index=True, width="stretch")


def _health(ws) -> None:
    """The latest background check of each connection (used in the last 15 minutes)."""
    checks = ws.health()
    st.subheader("Connection health", anchor=False)
    if not checks:
        st.caption("No connection was checked yet: checks run every minute for connections "
                   "used in the last 15 minutes.")
        return
    st.dataframe([{"Connection": name, "Status": "ok" if c.ok else "failing",
                   "Latency ms": None if c.latency_ms is None else round(c.latency_ms, 1),
                   "Failures in a row": c.failures,
                   "Checked (UTC)": c.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
                   "Error": c.error} for name, c in sorted(checks.items())],
                 hide_index=True, width="stretch")


def _headline(f) -> None:
    cols = st.columns(4)
    cols[0].metric("Queries", f"{f.queries:,}")
    errors = sum(n for _, n in f.errors_by_type)
    cols[1].metric("Error rate", f"{errors / f.queries:.1%}" if f.queries else "–")
    cols[2].metric("Cache hit rate", "–" if f.cache_rate is None else f"{f.cache_rate:.1%}")
    cols[3].metric("Result bytes", _size(f.bytes),
                   help=None if f.scanned_bytes is None else
                   f"Bytes scanned or billed where the engine reports it: {_size(f.scanned_bytes)}")
    if f.truncated:
        st.caption("The window holds more queries than are summarised: the newest are shown.")


def latency_chart(groups, label: str):
    """p50/p95/p99 bars side by side per group (ms)."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame([{label: g.key, "Percentile": name, "ms": value}
                          for g in groups for name, value in
                          (("p50", g.p50), ("p95", g.p95), ("p99", g.p99)) if value is not None])
    if frame.empty:
        frame = pd.DataFrame({label: [], "Percentile": [], "ms": []})
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X(f"{label}:N", title=label), xOffset="Percentile:N",
        y=alt.Y("ms:Q", title="Latency (ms)"), color="Percentile:N",
        tooltip=[f"{label}:N", "Percentile:N", alt.Tooltip("ms:Q", format=",.1f")])


def _bars(pairs, label: str, value: str, empty: str) -> None:
    import altair as alt
    import pandas as pd

    if not pairs:
        st.caption(empty)
        return
    frame = pd.DataFrame(pairs, columns=[label, value])
    st.altair_chart(alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None), x=alt.X(f"{value}:Q", title=value),
        tooltip=[f"{label}:N", f"{value}:Q"]), width="stretch")

