"""The notebook's schedules and their latest runs, on the notebook itself: a failing schedule is
seen where the work lives, not only on the Schedules page and in Activity."""

from __future__ import annotations

import streamlit as st

from olympus.errors import OlympusError
from olympus.ui.widgets import ICONS, ago, md_text


def line(ws, nb) -> None:
    """'Scheduled: every 3600 s · last run ok 3 min ago'; a failed last run as a warning."""
    try:
        found = ws.notebook_schedules(nb.id)
    except OlympusError:
        return
    for schedule, run in found:
        state = "paused" if not schedule.enabled else "never run" if run is None else \
            f"last run {run.status} {ago(run.finished_at or run.started_at or run.due_at)}"
        text = f"Scheduled ({md_text(schedule.name)}): {md_text(schedule.timing)} · {state}"
        if run is not None and run.status == "failed":
            st.warning(f"{text}: {md_text(run.error or 'failed')}", icon=ICONS["failed"])
        else:
            st.caption(f":material/schedule: {text}")
