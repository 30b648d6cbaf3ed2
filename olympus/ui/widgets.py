"""Shared widgets: page chrome, errors, connection status and pickers, time formatting."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import streamlit as st

from olympus.connectors import connector_class
from olympus.errors import OlympusError, UnknownError, redact
from olympus.store import ConnectionRecord
from olympus.ui.safe_text import badge_text, md_code, md_text, safe_answer_markdown  # noqa: F401

T = TypeVar("T")

ICONS = {
    "home": ":material/home:", "connections": ":material/cable:",
    "schema": ":material/account_tree:", "ask": ":material/forum:",
    "ok": ":material/check_circle:", "failed": ":material/error:",
    "untested": ":material/help:", "table": ":material/table:", "view": ":material/visibility:",
    "refresh": ":material/refresh:", "run": ":material/play_arrow:", "add": ":material/add:",
    "edit": ":material/edit:", "delete": ":material/delete:", "test": ":material/bolt:",
    "download": ":material/download:", "sql": ":material/code:", "llm": ":material/smart_toy:",
    "history": ":material/history:", "key": ":material/key:", "link": ":material/link:",
    "members": ":material/group:",
    "verified": ":material/verified:",
    "performance": ":material/speed:",
    "notebooks": ":material/menu_book:",
    "schedules": ":material/schedule:",
    "glossary": ":material/local_library:",
}
PAGES = {"connections": "pages/1_Connections.py",
         "schema": "pages/2_Schema.py", "ask": "pages/3_Ask.py",
         "members": "pages/4_Members.py", "schedules": "pages/6_Schedules.py",
         "verified": "pages/9_Verified.py",
         "notebooks": "pages/10_Notebooks.py", "glossary": "pages/8_Glossary.py"}


def page_setup(title: str, icon: str, *, router: bool = False) -> None:
    """Page config + the brand in the sidebar; safe to call again from app.py's navigation
    (app.py passes router=True: it is the navigation)."""
    if not router:
        adopt_navigation()
    st.set_page_config(page_title=f"{title} · Olympus", page_icon=icon, layout="wide",
                       initial_sidebar_state="expanded")


def adopt_navigation() -> None:
    """Route every run through app.py's st.navigation, even the first after a server start.

    Streamlit starts in its legacy pages/-directory mode (a pages/ folder sits next to app.py)
    until some session runs st.navigation: until then a deep link such as /Ask runs
    pages/3_Ask.py alone, with a sidebar of bare file names and no app.py chrome. A page file
    run that way switches the process to st.navigation mode (what app.py's first run does
    anyway) and reruns; the page hash comes from the URL path, so the same page opens. (A page
    run through app.py, or on its own in an AppTest, finds the mode already off.)"""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def header(title: str, icon: str, caption: str | None = None) -> None:
    st.title(f"{icon} {title}", anchor=False)
    if caption:
        st.caption(caption)


def nav_link(page: str, label: str, icon: str | None = None, **kwargs: Any) -> None:
    """A link to another page; renders as text when the page isn't registered (standalone tests)."""
    try:
        st.page_link(PAGES[page], label=label, icon=icon or ICONS.get(page), **kwargs)
    except Exception:  # e.g. a page run on its own outside st.navigation
        st.markdown(f"{icon or ICONS.get(page, '')} {md_text(label)}")


# ---- errors ---------------------------------------------------------------------------------
def as_error(exc: BaseException | dict | None) -> dict:
    """Any failure -> the fields users see; unexpected exceptions never show a traceback."""
    if isinstance(exc, dict):
        return exc
    if isinstance(exc, OlympusError):
        return exc.to_dict()
    return UnknownError(redact(f"{type(exc).__name__}: {exc}")[:300]).to_dict()


def error_box(exc: BaseException | dict, *, show_sql: bool = True) -> None:
    """Type, title, message, suggestion and the SQL: the QueryErrorDisplay design. Every field
    may carry driver or model text, so none of it renders as markdown links or images."""
    err = as_error(exc)
    with st.container(border=True, key=None):
        st.error(f"**{md_text(err.get('title') or 'Error')}** · {md_text(err.get('message'))}",
                 icon=ICONS["failed"])
        if err.get("suggestion"):
            st.markdown(":material/lightbulb: **What to do:** "
                        + safe_answer_markdown(str(err["suggestion"]), links=False))
        st.caption(f"Error type: {md_code(err.get('type') or 'unknown')}")
        if show_sql and err.get("sql"):
            st.code(err["sql"], language="sql")


def guarded(action: Callable[[], T], *, show_sql: bool = True) -> tuple[T | None, dict | None]:
    """Run an action; an error becomes a shown error box and (None, error) instead of a trace."""
    try:
        return action(), None
    except Exception as exc:  # every failure is shown as a mapped error
        err = as_error(exc)
        error_box(err, show_sql=show_sql)
        return None, err


# ---- connections ----------------------------------------------------------------------------
def ago(moment: datetime | None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago' or a date."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = (datetime.now(timezone.utc) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return moment.strftime("%Y-%m-%d")


def type_icon(type_: str) -> str:
    try:
        return connector_class(type_).icon
    except Exception:
        return ":material/database:"


def type_label(type_: str) -> str:
    try:
        return connector_class(type_).label
    except Exception:
        return type_


def status_badge(record: ConnectionRecord) -> None:
    """Green/red/grey badge with when it was last tested."""
    when = ago(record.last_tested_at)
    if record.last_test_status == "ok":
        st.badge(f"Connected · {when}", icon=ICONS["ok"], color="green")
    elif record.last_test_status == "failed":
        st.badge(f"Failed · {when}", icon=ICONS["failed"], color="red")
    else:
        st.badge("Not tested", icon=ICONS["untested"], color="gray")


def test_summary(result: Any) -> str:
    """'PostgreSQL 16.2 · db · 12 ms' from a TestResult or its dict."""
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result or {})
    parts = [data.get("server_version"), data.get("database")]
    if data.get("latency_ms") is not None:
        parts.append(f"{data['latency_ms']:.0f} ms")
    return " · ".join(str(p) for p in parts if p)


FEW_CONNECTIONS = 6  # Ask and Schema show up to this many connections as pills


def connection_picker(records: list[ConnectionRecord], selected: str | None, *,
                      key: str, on_change: Callable[[], None] | None = None,
                      label: str = "Connection", few: int = 0) -> str | None:
    """This owner's connections, one chosen; returns its name. Up to `few` of them are pills
    (one click, and about 20 ms lighter for the browser to draw than a dropdown, a good part of
    a page switch); more are a dropdown you can type into."""
    names = [r.name for r in records]
    if not names:
        return None
    by_name = {r.name: r for r in records}
    index = names.index(selected) if selected in names else 0
    label_of = lambda n: f"{n}  ·  {type_label(by_name[n].type)}"  # noqa: E731
    if len(names) <= few:
        if st.session_state.get(key) not in names:  # a renamed or removed connection
            st.session_state.pop(key, None)
        # pill labels are markdown (a selectbox's options are plain text): names escaped
        return st.pills(label, names, default=names[index], required=True, key=key,
                        on_change=on_change, format_func=lambda n: md_text(label_of(n)))
    return st.selectbox(label, names, index=index, key=key, on_change=on_change,
                        format_func=label_of)


def no_connections() -> None:
    st.info("No connections yet. Add one on the Connections page.", icon=ICONS["connections"])
    nav_link("connections", "Go to Connections")


def connections_or_notice(ws) -> list:
    """The owner's connections; an error box or the "add one" notice when there are none."""
    records, err = guarded(ws.connections)
    if err is None and not records:
        no_connections()
    return records or []


def llm_status(config: Any) -> None:
    """Which model answers questions, or how to configure one."""
    if config.llm_configured:
        where = f" at {md_code(config.openai_base_url)}" if config.openai_base_url else " (OpenAI)"
        st.markdown(f"{ICONS['llm']} **LLM:** {md_code(config.openai_model)}{where}")
    else:
        st.markdown(
            f"{ICONS['llm']} **No LLM configured** — SQL mode works without one. To ask in plain "
            "English, set `OPENAI_API_KEY` (and optionally `OLYMPUS_MODEL`, `OPENAI_BASE_URL` for "
            "Azure, Ollama or vLLM) in `.streamlit/secrets.toml` or the environment, then "
            "restart the app.")
