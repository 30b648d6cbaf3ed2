"""Notebook parameter inputs at the top of the page (date, date range, number, text, a choice
list filled by its query) and the form that adds or removes one."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from olympus.notebooks.model import PARAM_KINDS, Notebook, Param, remove_param, set_param
from olympus.ui import notebook_state as nstate
from olympus.ui import widgets
from olympus.ui.safe_text import md_text

KIND_LABELS = {"date": "Date", "date_range": "Date range", "number": "Number", "text": "Text",
               "choice": "Choice list"}


def inputs(ws, nb: Notebook) -> dict[str, Any]:
    """One input per parameter; returns the chosen values (what a run binds)."""
    chosen = nstate.values(ws.owner, nb)
    if not nb.params:
        return {}
    with st.container(horizontal=True, key="nb-params"):
        for param in nb.params:
            value = _input(ws, nb, param, chosen.get(param.name, param.default))
            if value is not None:
                nstate.set_value(ws.owner, nb, param.name, value)
                chosen = {**chosen, param.name: value}
    return {p.name: chosen.get(p.name, p.default) for p in nb.params
            if chosen.get(p.name, p.default) is not None}


def _input(ws, nb: Notebook, param: Param, current: Any) -> Any:
    """The widget for one parameter; its label is the parameter's (untrusted) label or name."""
    label = md_text(param.label or param.name)
    key = f"nb:{nb.id}:param:{param.name}"
    help_ = f"Used in SQL as {{{{{param.name}}}}}"
    if param.kind == "date":
        return st.date_input(label, value=_date(current), key=key, help=help_)
    if param.kind == "date_range":
        start, end = _range(current)
        picked = st.date_input(label, value=(start, end), key=key, help=help_ + " (.start, .end)")
        return [picked[0], picked[1]] if isinstance(picked, (list, tuple)) and \
            len(picked) == 2 else None  # half picked: keep the previous value
    if param.kind == "number":
        return st.number_input(label, value=_number(current), key=key, help=help_)
    if param.kind == "choice":
        options = _choices(ws, param)
        index = options.index(str(current)) if str(current) in options else 0 if options else None
        return st.selectbox(label, options, index=index, key=key, help=help_,
                            format_func=str)
    return st.text_input(label, value="" if current is None else str(current), key=key,
                         help=help_)


def _date(value: Any) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return date.today()


def _range(value: Any) -> tuple[date, date]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return _date(value[0]), _date(value[1])
    return date.today().replace(month=1, day=1), date.today()


def _number(value: Any) -> float | int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return int(number) if number.is_integer() else number


@st.cache_data(ttl=300, show_spinner=False, max_entries=64)
def _cached_choices(owner: str, user: str, connection: str, sql: str, _ws) -> list[str]:
    from olympus.notebooks.params import choices

    return choices(_ws, connection, sql)


def _choices(ws, param: Param) -> list[str]:
    """The choice query's first column (guarded, read-only); a failure shows and lists none."""
    if not param.connection or not param.choices_sql.strip():
        return [] if param.default is None else [str(param.default)]
    found, _ = widgets.guarded(lambda: _cached_choices(ws.owner, str(ws.principal.user),
                                                       param.connection, param.choices_sql, ws))
    return found or ([] if param.default is None else [str(param.default)])


def editor(ws, nb: Notebook, records: list) -> Notebook | None:
    """Add or remove a parameter; returns the changed notebook (to autosave) or None."""
    with st.expander("Parameters", icon=":material/tune:"):
        for param in nb.params:
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"{md_text(param.name)} · {KIND_LABELS.get(param.kind, param.kind)}")
                if st.button("Remove", key=f"nb:rmparam:{param.name}", type="tertiary",
                             icon=widgets.ICONS["delete"]):
                    return remove_param(nb, param.name)
        with st.form("nb:addparam", clear_on_submit=True, border=False):
            cols = st.columns(3)
            name = cols[0].text_input("Name", placeholder="start_date")
            kind = cols[1].selectbox("Kind", PARAM_KINDS, format_func=KIND_LABELS.get)
            label = cols[2].text_input("Label", placeholder="Start date")
            default = st.text_input("Default", placeholder="2024-01-01, 2024-01-01..2024-12-31, "
                                                           "42 or text")
            names = [r.name for r in records]
            conn = st.selectbox("Choices from (choice lists)", [None, *names],
                                format_func=lambda n: "—" if n is None else n)
            sql = st.text_area("Choice query (first column lists the choices)", height=68)
            if st.form_submit_button("Add parameter", icon=widgets.ICONS["add"]):
                return _added(nb, name, kind, label, default, conn, sql)
    return None


def _added(nb, name, kind, label, default, conn, sql) -> Notebook | None:
    from olympus.notebooks.params import parse_value

    def build() -> Notebook:
        raw = default.strip() or None
        if raw is not None and kind != "choice":
            parse_value(kind, raw)  # a bad default is told now, not at the first run
        value = raw.split("..") if raw and kind == "date_range" else raw
        return set_param(nb, Param(name.strip(), kind, label.strip(), default=value,
                                   choices_sql=sql.strip() if kind == "choice" else "",
                                   connection=conn if kind == "choice" else None))

    made, _ = widgets.guarded(build)
    return made
