"""Schedules page: saved queries and notebooks on a timing, their alerts and recent runs.
Names, SQL, errors and result values are others' text: shown in dataframes, st.text/st.code,
or through md_text where they sit in a label."""

from __future__ import annotations

from typing import Any

import streamlit as st

from olympus.errors import OlympusError
from olympus.ui import resources
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS, error_box

RUN_COLUMNS = ["Due (UTC)", "Status", "Attempt", "Rows", "Elapsed ms", "Error", "Alerts"]


@st.cache_resource(show_spinner=False, max_entries=1,
                   on_release=lambda worker: _stop(worker))
def _scheduler(store_url: str, home: str, _settings) -> Any:
    from olympus.ops.worker_inprocess import start

    return start(_settings)


def _stop(worker) -> None:
    from olympus.ops.worker_inprocess import stop

    stop(worker)


def start_scheduler(config) -> None:
    """Once per app process and store: the in-process scheduler when OLYMPUS_SCHEDULER wants
    one (by default: a local SQLite store). A failure to start never breaks the page."""
    try:
        _scheduler(config.store_url, str(config.home), config)
    except Exception as exc:  # noqa: BLE001 - shown in the log, the app still works
        import logging

        logging.getLogger(__name__).warning("In-process scheduler not started: %s", exc)


def render() -> None:
    st.title(f"{ICONS['schedules']} Schedules", anchor=False)
    ws = resources.workspace()
    try:
        items = ws.schedules()
    except OlympusError as exc:
        error_box(exc)
        return
    if ws.principal.can("save"):
        with st.expander("New schedule", icon=ICONS["add"], expanded=not items):
            _create_form(ws)
    if not items:
        st.caption("No schedules yet. A schedule runs a saved query or a notebook on a cron "
                   "expression or an interval, keeps its recent results and sends alerts.")
    for schedule in items:
        state = "on" if schedule.enabled else "paused"
        with st.expander(f"{md_text(schedule.name)} · {md_text(schedule.timing)} · {state}",
                         icon=ICONS["schedules"]):
            _schedule(ws, schedule)


def _create_form(ws) -> None:
    with st.form("schedule:new", clear_on_submit=False):
        name = st.text_input("Name", key="schedule:new:name")
        target = st.radio("Runs", ["Saved query", "Notebook"], horizontal=True,
                          key="schedule:new:target")
        connections = [r.name for r in ws.connections()]
        connection = st.selectbox("Connection (saved query)", connections,
                                  key="schedule:new:connection")
        sql = st.text_area("SQL (saved query)", key="schedule:new:sql")
        notebook = st.selectbox("Notebook", _notebooks(ws), key="schedule:new:notebook")
        timing = st.radio("Timing", ["Interval", "Cron"], horizontal=True,
                          key="schedule:new:timing")
        interval = st.number_input("Every (seconds)", min_value=10, value=3600, step=60,
                                   key="schedule:new:interval")
        cron = st.text_input("Cron (minute hour day month weekday)", value="0 8 * * 1-5",
                             key="schedule:new:cron")
        zone = st.text_input("Time zone", value="UTC", key="schedule:new:timezone")
        if not st.form_submit_button("Create schedule", icon=ICONS["add"]):
            return
    query = target == "Saved query"
    try:
        ws.create_schedule(name, connection=connection if query else None,
                           sql=sql if query else None, notebook=None if query else notebook,
                           interval_s=int(interval) if timing == "Interval" else None,
                           cron=cron if timing == "Cron" else None, timezone=zone)
    except OlympusError as exc:
        error_box(exc)
        return
    st.success("Schedule created.", icon=ICONS["ok"])
    st.rerun()


def _notebooks(ws) -> list[str]:
    try:
        return [n.name for n in ws.notebooks()]
    except Exception:  # noqa: BLE001 - no notebooks feature or none visible: none to offer
        return []


def _schedule(ws, schedule) -> None:
    st.caption(f"{md_text(schedule.target)} by {md_text(schedule.created_by)}; runs act as "
               "its creator, with the role they have when it runs.")
    if schedule.sql:
        st.code(schedule.sql, language="sql")
    else:
        st.text(f"Notebook: {schedule.notebook}")
    _actions(ws, schedule)
    _alerts(ws, schedule)
    _runs(ws, schedule)


def _actions(ws, schedule) -> None:
    key = f"schedule:{schedule.id}"
    cols = st.columns(3)
    try:
        if cols[0].button("Run now", icon=ICONS["run"], key=f"{key}:run"):
            outcome = ws.run_schedule_now(schedule.name)
            (st.success if outcome.status == "ok" else st.warning)(
                f"Run {outcome.status}.", icon=ICONS["ok" if outcome.status == "ok"
                                                     else "failed"])
        label = "Resume" if not schedule.enabled else "Pause"
        if cols[1].button(label, key=f"{key}:pause"):
            ws.pause_schedule(schedule.name, schedule.enabled)
            st.rerun()
        if cols[2].button("Delete", icon=ICONS["delete"], key=f"{key}:delete"):
            ws.delete_schedule(schedule.name)
            st.rerun()
    except OlympusError as exc:
        error_box(exc)


def _alerts(ws, schedule) -> None:
    st.subheader("Alerts", anchor=False)
    for alert in ws.schedule_alerts(schedule.name):
        st.text(f"When {alert.describe}: {alert.label}")
    with st.form(f"alert:{schedule.id}"):
        cols = st.columns(4)
        condition = cols[0].selectbox("When", ["any_rows", "above", "below", "changed"],
                                      key=f"alert:{schedule.id}:condition")
        column = cols[1].text_input("Column (above/below)", key=f"alert:{schedule.id}:column")
        threshold = cols[2].number_input("Threshold", value=0.0,
                                         key=f"alert:{schedule.id}:threshold")
        channel = cols[3].selectbox("Send by", ["webhook", "email"],
                                    key=f"alert:{schedule.id}:channel")
        settings = _channel_fields(schedule.id)
        if not st.form_submit_button("Add alert", icon=ICONS["add"]):
            return
    try:
        ws.add_alert(schedule.name, condition=condition, channel=channel,
                     settings=settings[channel], column=column or None, threshold=threshold)
    except OlympusError as exc:
        error_box(exc)
        return
    st.rerun()


def _channel_fields(key: str) -> dict[str, dict[str, Any]]:
    """Webhook URL, or SMTP settings; secrets in password fields, stored encrypted."""
    url = st.text_input("Webhook URL (Slack-compatible)", type="password",
                        key=f"alert:{key}:url")
    cols = st.columns(3)
    host = cols[0].text_input("SMTP host", key=f"alert:{key}:host")
    port = cols[1].number_input("SMTP port", value=587, key=f"alert:{key}:port")
    starttls = cols[2].checkbox("STARTTLS", value=True, key=f"alert:{key}:starttls")
    sender = cols[0].text_input("From", key=f"alert:{key}:sender")
    recipients = cols[1].text_input("To (comma-separated)", key=f"alert:{key}:to")
    user = cols[2].text_input("SMTP user", key=f"alert:{key}:user")
    password = st.text_input("SMTP password", type="password", key=f"alert:{key}:password")
    return {"webhook": {"url": url},
            "email": {"host": host, "port": int(port), "starttls": starttls, "sender": sender,
                      "recipients": recipients, "username": user, "password": password}}


def _runs(ws, schedule) -> None:
    import pandas as pd

    st.subheader("Recent runs", anchor=False)
    runs = ws.schedule_runs(schedule.name)
    if not runs:
        st.caption("No runs yet.")
        return
    rows = [[r.due_at.strftime("%Y-%m-%d %H:%M:%S"), r.status, r.attempt, r.row_count,
             r.elapsed_ms, r.error or "", "; ".join(
                 f"{a.get('label')}: {'sent' if a.get('delivered') else a.get('error')}"
                 for a in r.alerts)] for r in runs]
    st.dataframe(pd.DataFrame(rows, columns=RUN_COLUMNS), hide_index=True, width="stretch")
    kept = [r for r in runs if r.snapshot]
    if kept:
        labels = {r.due_at.strftime("%Y-%m-%d %H:%M:%S"): r for r in kept}
        picked = st.selectbox("Snapshot of the run due at", list(labels),
                              key=f"schedule:{schedule.id}:snapshot")
        snap = labels[picked].snapshot
        st.dataframe(pd.DataFrame(snap["rows"], columns=snap["columns"]), hide_index=True)
        if snap.get("truncated"):
            st.caption(f"First {len(snap['rows']):,} of {snap['row_count']:,} rows kept.")
