"""Activity: the space's audit trail for its admins, filtered, as a table and a CSV download.
Every value is someone's text (SQL, questions, errors): it is shown only inside a dataframe."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

import streamlit as st

from olympus.errors import OlympusError
from olympus.store_audit import ACTIONS
from olympus.ui import resources
from olympus.ui.widgets import ICONS, error_box

ANY = "Any"
STATUSES = ("ok", "refused", "error", "failed")
LIMIT = 1000
COLUMNS = ["Time (UTC)", "User", "Action", "Status", "Connection", "SQL", "Question", "Rows",
           "Bytes", "Elapsed ms", "Detail"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula starts, neutralised in the CSV


def render() -> None:
    st.title(f"{ICONS['history']} Activity", anchor=False)
    ws = resources.workspace()
    try:
        ws.principal.require("members")
    except OlympusError as exc:
        error_box(exc)
        st.caption("Only admins of this space see its activity.")
        return
    names = {r.id: r.name for r in ws.store.list_connections(ws.owner)}
    filters = _filters(ws, names)
    try:
        entries = ws.activity(limit=LIMIT, **filters)
    except OlympusError as exc:
        error_box(exc)
        return
    frame = table(entries, names)
    st.caption(f"{len(frame):,} rows, newest first" + (f" (the latest {LIMIT:,})"
                                                      if len(frame) >= LIMIT else ""))
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button("Download CSV", data=csv_bytes(frame), file_name="olympus-activity.csv",
                       mime="text/csv", icon=ICONS["download"], key="activity:csv")


def _filters(ws, names: dict[str, str]) -> dict[str, Any]:
    """User, connection, action, status and since, side by side."""
    cols = st.columns(5)
    user = cols[0].selectbox("User", [ANY, *ws.activity_users()], key="activity:user")
    connection = cols[1].selectbox("Connection", [ANY, *sorted(set(names.values()))],
                                   key="activity:connection")
    action = cols[2].selectbox("Action", [ANY, *ACTIONS], key="activity:action")
    status = cols[3].selectbox("Status", [ANY, *STATUSES], key="activity:status")
    since = cols[4].date_input("Since", value=None, key="activity:since",
                               help="From the start of this day (UTC); empty: everything")
    return {"user": _given(user), "connection": _given(connection), "action": _given(action),
            "status": _given(status), "since": _day_start(since)}


def table(entries: list, names: dict[str, str]):
    """Audit rows as a DataFrame with readable columns (a deleted connection shows its id)."""
    import pandas as pd

    rows = [[e.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), e.user, e.action,
             e.status, names.get(e.connection_id, e.connection_id) or "", e.sql or "",
             e.question or "", e.rows, e.bytes, e.elapsed_ms, e.detail or ""] for e in entries]
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {"Rows": "Int64", "Bytes": "Int64", "Elapsed ms": "Float64"})


def csv_bytes(frame) -> bytes:
    """CSV of the table; text cells that a spreadsheet would run as a formula get a leading '."""
    def cell(value: Any) -> Any:
        return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA) else value

    return frame.map(cell).to_csv(index=False).encode("utf-8")


def _given(value: str) -> str | None:
    return None if value == ANY else value


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=timezone.utc)
