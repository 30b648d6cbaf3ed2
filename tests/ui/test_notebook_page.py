"""The Notebooks page (AppTest) on the demo notebook, DuckDB underneath: open it in one click,
run all, edit a cell (autosaved), a stale badge after an upstream edit, chained cells with a
parameter, versions and restore, history opened as a new cell, the present view, permalinks."""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.notebooks.demo import DEMO_NOTEBOOK
from olympus.store import Store
from olympus.workspace import Workspace
from tests.services import ROOT
from tests.ui.helpers import button, charts, editor_event, no_traceback, shown

PAGE = "pages/10_Notebooks.py"


def workspace() -> Workspace:
    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    at.query_params.update(query or {})
    return at.run()


def open_demo(app) -> AppTest:
    app("app.py")  # the first start creates the demo and its notebook
    return page({"notebook": DEMO_NOTEBOOK})


def type_sql(at: AppTest, cell_id: str, sql: str, *, nonce: int = 0, kind: str = "change",
             event: str = "e1") -> AppTest:
    """What the SQL editor component sends after the person types (or presses Ctrl+Enter)."""
    return editor_event(at, f"nbe:sql:{cell_id}:{nonce}", (kind, event, sql))


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_the_list_opens_the_demo_notebook_in_one_click_and_run_all_draws_it(app):
    app("app.py")
    at = page()
    no_traceback(at)
    button(at, DEMO_NOTEBOOK).click().run()
    no_traceback(at)
    assert at.query_params["notebook"] == DEMO_NOTEBOOK
    assert DEMO_NOTEBOOK in shown(at) and "Lending portfolio review" in at.title[0].value
    assert "Origination period" in [d.label for d in at.date_input]
    assert sum("Not run" in b for b in badges(at)) == 4  # four query cells, none run yet
    at.button(key="nb:run_all").click().run()
    no_traceback(at)
    assert sum("Fresh" in b for b in badges(at)) == 4
    assert len(charts(at)) == 2  # monthly_loans and by_category keep their chart view
    ws = workspace()
    expected = ws.run_sql("Demo", "SELECT sum(principal) FROM loans WHERE origination_date "
                                  "BETWEEN DATE '2024-01-01' AND DATE '2025-12-31'").df.iloc[0, 0]
    assert [m.value for m in at.metric] == [f"\\${expected:,.2f}".replace(",", "\\,")
                                            .replace(".", "\\.")]
    assert [v.reason for v in ws.notebook_versions(DEMO_NOTEBOOK)] == ["run_all"]


def test_edit_autosaves_and_an_upstream_edit_marks_later_cells_stale(app):
    at = open_demo(app)
    at.button(key="nb:run_all").click().run()
    nb = workspace().notebook(DEMO_NOTEBOOK)
    source = nb.cell("loans_in_period")
    at.button(key=f"nb:{source.id}:edit").click().run()
    no_traceback(at)
    edited = source.sql + "\n  AND principal > 10000"
    type_sql(at, source.id, edited)
    no_traceback(at)
    assert workspace().notebook(DEMO_NOTEBOOK).cell("loans_in_period").sql == edited
    stale = workspace().stale_cells(DEMO_NOTEBOOK)
    assert stale == {"loans_in_period": "stale", "originated": "stale",
                     "monthly_loans": "stale", "by_category": "stale"}
    assert sum("Stale" in b for b in badges(at)) == 4
    type_sql(at, source.id, edited, kind="submit", event="e2")  # Ctrl+Enter runs the cell
    no_traceback(at)
    assert workspace().stale_cells(DEMO_NOTEBOOK)["loans_in_period"] == "fresh"
    assert workspace().stale_cells(DEMO_NOTEBOOK)["originated"] == "stale"


def test_chained_cells_with_a_number_parameter(app):
    at = open_demo(app)
    form = at.get("form")
    assert form  # the parameter form
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].input("min_principal")
    [s for s in at.selectbox if s.label == "Kind"][0].set_value("number")
    inputs["Default"].input("250000")
    button(at, "Add parameter").click().run()
    no_traceback(at)
    nb = workspace().notebook(DEMO_NOTEBOOK)
    assert nb.param("min_principal").kind == "number"
    button(at, "SQL cell").click().run()
    no_traceback(at)
    added = workspace().notebook(DEMO_NOTEBOOK).cells[-1]
    assert added.kind == "sql" and added.connection == "Demo"
    sql = "SELECT count(*) AS big FROM {{loans_in_period}} WHERE principal >= {{min_principal}}"
    type_sql(at, added.id, sql, kind="submit")
    no_traceback(at)
    ws = workspace()
    want = ws.run_sql("Demo", "SELECT count(*) FROM loans WHERE origination_date BETWEEN "
                              "DATE '2024-01-01' AND DATE '2025-12-31' AND principal >= 250000"
                      ).df.iloc[0, 0]
    frames = [d.value for d in at.dataframe if list(d.value.columns) == ["big"]]
    assert frames and int(frames[-1]["big"].iloc[0]) == int(want)
    number = [n for n in at.number_input if n.label == "min\\_principal"][0]
    number.set_value(400000).run()
    no_traceback(at)
    assert workspace().stale_cells(DEMO_NOTEBOOK, {"min_principal": 400000})[added.name] == "stale"
    assert any("Stale" in b for b in badges(at))


def test_versions_diff_and_restore(app):
    at = open_demo(app)
    at.button(key="nb:save").click().run()
    nb = workspace().notebook(DEMO_NOTEBOOK)
    note = nb.cell("closing")
    at.button(key=f"nb:{note.id}:edit").click().run()
    at.text_area(key=f"nbe:{note.id}:md").input("Rewritten closing note").run()
    no_traceback(at)
    assert workspace().notebook(DEMO_NOTEBOOK).cell("closing").markdown == "Rewritten closing note"
    diff = [c.value for c in at.code if c.language == "diff"]
    assert diff and "+Rewritten closing note" in diff[0]  # v1 -> current
    button(at, "Restore v1").click().run()
    no_traceback(at)
    restored = workspace().notebook(DEMO_NOTEBOOK)
    assert restored.cell("closing").markdown == note.markdown
    assert [v.reason for v in workspace().notebook_versions(DEMO_NOTEBOOK)][:2] == \
        ["restore", "save"]


def test_present_view_and_a_new_session_show_the_kept_results_without_editors(app):
    at = open_demo(app)
    at.button(key="nb:run_all").click().run()
    shown_live = page({"notebook": DEMO_NOTEBOOK, "present": "1"})  # a new session
    no_traceback(shown_live)
    assert not shown_live.button and not shown_live.text_input and not shown_live.text_area
    assert not shown_live.date_input and not shown_live.get("bidi_component")  # no editor
    assert not [c for c in shown_live.code]  # no SQL either
    assert len(charts(shown_live)) == 2 and len(shown_live.metric) == 1  # from the cache
    assert "Credit quality by product" in shown(shown_live)
    assert "Leave the present view" in shown(shown_live)
    one = page({"notebook": DEMO_NOTEBOOK, "present": "1", "cell": "monthly_loans"})
    assert len(charts(one)) == 1 and not one.metric


def test_permalink_opens_the_cell_and_an_unknown_notebook_says_so(app):
    at = open_demo(app)
    linked = page({"notebook": DEMO_NOTEBOOK, "cell": "by_category"})
    no_traceback(linked)
    assert linked.title[0].value.endswith("Lending portfolio review")
    link = [c.value for c in linked.code if "notebook=" in c.value]
    assert link and link[0].endswith("/Notebooks?notebook=Lending+portfolio+review")
    missing = page({"notebook": "No such <b>notebook</b>"})
    no_traceback(missing)
    text = shown(missing)
    assert "No notebook named No such <b>notebook</b> is open to you" in text
    assert "\\<b\\>" in missing.error[0].value  # shown as text, not HTML
    assert not at.exception


def test_history_opens_a_past_query_as_a_new_cell(app):
    at = open_demo(app)
    workspace().run_sql("Demo", "SELECT 7 AS lucky_number")
    at.run()
    at.text_input(key="nb:hist:q").input("lucky").run()
    opens = [b for b in at.button if b.label == "Open as a new cell"]
    assert len(opens) == 1
    opens[0].click().run()
    no_traceback(at)
    last = workspace().notebook(DEMO_NOTEBOOK).cells[-1]
    assert last.kind == "sql" and last.sql == "SELECT 7 AS lucky_number"
    assert last.connection == "Demo" and last.name == "history_1"
    try:
        workspace().run_sql("Demo", "SELECT lucky_number FROM no_such_table")
    except Exception:
        pass
    at.text_input(key="nb:hist:q").input("").run()
    at.selectbox(key="nb:hist:status").set_value("error").run()
    shown_sql = [c.value for c in at.code if c.language == "sql" and "lucky" in c.value]
    assert shown_sql == ["SELECT lucky_number FROM no_such_table"]


def test_choice_and_date_parameters_get_their_inputs(app):
    app("app.py")
    ws = workspace()
    from olympus.notebooks.model import Param, new_cell

    ws.create_notebook("Params", params=(
        Param("day", "date", "Day", default="2024-03-01"),
        Param("region", "choice", "Region", default="North",
              choices_sql="SELECT DISTINCT region FROM branches ORDER BY 1", connection="Demo"),
    ), cells=(new_cell("sql", name="q", connection="Demo",
                       sql="SELECT count(*) AS n FROM branches WHERE region = {{region}}"),))
    at = page({"notebook": "Params"})
    no_traceback(at)
    assert at.date_input[0].value == date(2024, 3, 1)
    regions = ws.run_sql("Demo", "SELECT DISTINCT region FROM branches ORDER BY 1").df
    assert at.selectbox(key=f"nb:{ws.notebook('Params').id}:param:region").options == \
        list(regions["region"])


def test_a_question_cell_asks_the_agent_once_and_keeps_its_sql_editable(app, monkeypatch):
    from tests.agent.fake_openai import FakeOpenAI, run_sql, say

    sql = "SELECT status, count(*) AS loans FROM loans GROUP BY status ORDER BY loans DESC"
    with FakeOpenAI() as llm:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        llm.script(run_sql(sql), say("Most loans are current."))
        at = open_demo(app)
        button(at, "Question cell").click().run()
        cell = workspace().notebook(DEMO_NOTEBOOK).cells[-1]
        assert cell.kind == "question" and cell.name == "question_1"
        at.text_area(key=f"nbe:{cell.id}:q").input("How many loans per status?").run()
        at.button(key=f"nb:{cell.id}:run").click().run()
        no_traceback(at)
        kept = workspace().notebook(DEMO_NOTEBOOK).cell("question_1")
        assert kept.sql == sql and kept.question == "How many loans per status?"
        assert "How many loans per status?" in at.text_area(key=f"nbe:{cell.id}:q").value
        frames = [d.value for d in at.dataframe if list(d.value.columns) == ["status", "loans"]]
        assert frames and len(frames[0]) == 5  # the agent's query ran: one row per status
        asked = len(llm.requests)
        at.button(key=f"nb:{cell.id}:run").click().run()  # the kept SQL runs: no model call
        assert len(llm.requests) == asked
        at.text_area(key=f"nbe:{cell.id}:q").input("Loans per branch?").run()
        assert workspace().notebook(DEMO_NOTEBOOK).cell("question_1").sql == ""  # asks again
