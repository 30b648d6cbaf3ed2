"""Connection health on the cards and before asking: the latest background check, as a badge."""

from __future__ import annotations

import streamlit as st

from olympus.ui.widgets import ICONS, ago, md_text


def badge(check) -> None:
    """'Reachable · 12 ms · 30 s ago' or 'Unreachable · 2 checks · ...' (None: never checked)."""
    if check is None:
        return
    when = ago(check.checked_at)
    if check.ok:
        latency = f" · {check.latency_ms:,.0f} ms" if check.latency_ms is not None else ""
        st.badge(f"Reachable{latency} · checked {when}", icon=ICONS["ok"], color="green")
        return
    st.badge(f"Unreachable · checked {when}", icon=ICONS["failed"], color="red")
    if check.error:
        st.caption(md_text(check.error))


def warn_if_failing(ws, name: str) -> None:
    """Say so before anyone runs a query on a connection whose last check failed."""
    check = ws.health().get(name)
    if check is not None and not check.ok:
        st.warning(f"The last health check of {md_text(name)} failed ({ago(check.checked_at)}): "
                   f"{md_text(check.error or 'unreachable')}. Queries may fail until it "
                   "recovers.", icon=ICONS["failed"])
