"""Small AppTest helpers: find widgets by label, read everything a person would see."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest


def button(at: AppTest, label: str, nth: int = 0):
    found = [b for b in at.button if b.label == label]
    assert len(found) > nth, f"no button {label!r}; have {[b.label for b in at.button]}"
    return found[nth]


def shown(at: AppTest) -> str:
    """All text elements (markdown, alerts, captions, code, badges), one per line, as a person
    reads them (untrusted text arrives backslash-escaped, links broken by a word joiner)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "success", "info",
                 "warning", "error", "code", "metric"):
        for el in getattr(at, kind):
            value = str(getattr(el, "value", ""))
            parts.append(value if kind == "code" else as_read(value))
    return "\n".join(parts)


def as_read(markdown: str) -> str:
    """Markdown backslash escapes and word joiners removed: the text a viewer sees."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def graph_edges(dot: str) -> set[tuple[str, str, str]]:
    """(from label, to label, edge label) of the relationship graph's DOT source."""
    labels = dict(re.findall(r'^(n\d+) \[label="([^"]*)"', dot, re.M))
    return {(labels[a], labels[b], label)
            for a, b, label in re.findall(r'^(n\d+) -> (n\d+) \[label="([^"]*)"', dot, re.M)}


def open_expander(at: AppTest, key: str) -> AppTest:
    """Open a stateful (lazy) expander the way a click does: its state turns True, then a rerun."""
    at.session_state[key] = True
    return at.run()


def no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def charts(at: AppTest) -> list[dict]:
    """Vega-Lite specs of the Altair charts on screen."""
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def chart_rows(at: AppTest, nth: int = 0) -> list[dict]:
    """The rows Streamlit sends with a chart (its datasets travel as Arrow next to the spec)."""
    import pyarrow as pa

    dataset = at.get("vega_lite_chart")[nth].proto.datasets[0]
    return pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()


def fill_pg_form(at: AppTest, db, *, name: str, password: str | None = None) -> None:
    """Fill the PostgreSQL add form the way a person would."""
    key = "add_conn:postgresql"
    at.text_input(key="add_conn:name").input(name)
    at.text_input(key=f"{key}:host").input(db.host)
    at.text_input(key=f"{key}:port").input(str(db.port))
    at.text_input(key=f"{key}:database").input(db.database)
    at.text_input(key=f"{key}:username").input(db.username)
    at.text_input(key=f"{key}:password").input(db.password if password is None else password)
    at.selectbox(key=f"{key}:sslmode").set_value("disable")


def editor_event(at: AppTest, key: str, *events: tuple[str, str, str]) -> AppTest:
    """Rerun as after the SQL editor's setTriggerValue(kind, {id, text}) calls in the browser,
    events as (kind, id, text), kind "change", "submit" or "format" (ui/editor_assets/editor.js)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    ids = [n.proto.id for n in at.get("bidi_component") if n.proto.id.endswith(f"-{key}")]
    assert len(ids) == 1, f"no SQL editor {key!r} on the page"
    payloads = [{"event": kind, "value": {"id": eid, "text": text}} for kind, eid, text in events]
    states = at._tree.get_widget_states()  # what the browser sends besides: the other widgets
    states.widgets.append(WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{ids[0]}__events",
                                      json_trigger_value=json.dumps(payloads)))
    at._run(states)
    return at


def plain_tables(at: AppTest) -> list[dict]:
    """The data each plain table (ui/table_view.py) was sent, in page order: what it draws."""
    from olympus.ui.table_view import COMPONENT

    found: list[dict] = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "bidi_component" \
                and node.proto.component_name == COMPONENT:
            found.append({**json.loads(node.proto.json), "id": node.proto.id})
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else ()):
            walk(child)

    walk(at._tree)
    return found


def table_frame(at: AppTest, nth: int):
    """The nth plain table as a DataFrame of the text its cells show (13K, not 12,506)."""
    import pandas as pd

    data = plain_tables(at)[nth]
    rows = [[cell[0] if isinstance(cell, list) else cell for cell in row] for row in data["rows"]]
    return pd.DataFrame(rows, columns=[c["key"] for c in data["columns"]])


def open_row(at: AppTest, nth: int, row: int, trigger: str = "t1") -> AppTest:
    """Rerun as after a click on row `row` of the nth plain table (its setTriggerValue)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    table = plain_tables(at)[nth]
    payload = [{"event": "open", "value": {"id": trigger, "row": row}}]
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{table['id']}__events",
                                      json_trigger_value=json.dumps(payload)))
    at._run(states)
    return at
