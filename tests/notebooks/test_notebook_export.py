"""Exports of a real run on the demo: .sql, .ipynb (nbformat-valid) and the HTML report
(untrusted text escaped; charts as data)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from olympus.errors import ConfigError
from tests.notebooks.conftest import as_member
from tests.notebooks.exports import EVIL, build


def test_sql_export_is_commented_sql_with_parameters_declared(ws):
    nb = build(ws)
    made = ws.export_notebook(nb.id, "sql")
    text = made.data.decode()
    assert made.filename == "Exports-title-script-x-1-script.sql"
    assert made.media_type == "application/sql"
    assert "--   region (text) = \"West\" - Region" in text
    assert "-- [sql] by_status on Demo\nSELECT status, count(*) AS n FROM loans GROUP BY " \
           "status ORDER BY n DESC;" in text
    assert "GROUP BY 1 ORDER BY 1 -- per year\n;" in text  # the ; is not swallowed by a comment
    assert "-- Raw HTML stays text:" in text  # notes are comments, line by line
    statements = [line for line in text.splitlines() if line and not line.startswith("--")]
    assert all(not line.startswith("<") for line in statements)


def test_ipynb_validates_and_carries_results(ws):
    nb = build(ws)
    book = nbformat.reads(ws.export_notebook(nb.id, "ipynb").data.decode(), as_version=4)
    nbformat.validate(book)
    kinds = [c.cell_type for c in book.cells]
    assert kinds == ["code", "markdown", "code", "code", "code", "code"]
    assert "notebook_runner('Exports </title><script>x=1</script>', params)" in book.cells[0].source
    assert "params = {'region': 'West'}" in book.cells[0].source
    assert book.cells[1].source.startswith("# Portfolio *notes*")
    chart = book.cells[2].outputs[0]
    vega = next(v for k, v in chart.data.items() if k.startswith("application/vnd.vegalite"))
    assert vega["mark"]["type"] == "bar" and len(vega["datasets"][next(iter(vega["datasets"]))]) == 5
    assert "&lt;img src=x onerror=alert(1)&gt;" in book.cells[4].outputs[0].data["text/html"]
    # every code cell is Python that compiles (SQL kept as a string literal)
    for cell in book.cells:
        if cell.cell_type == "code":
            compile(cell.source, "<cell>", "exec")


def test_ipynb_code_runs_the_cells_through_olympus(ws):
    from olympus.notebooks.export_runtime import notebook_runner

    nb = build(ws)
    book = nbformat.reads(ws.export_notebook(nb.id, "ipynb", run=False).data.decode(),
                          as_version=4)
    assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code")
    scope = {"notebook_runner": lambda name, params: notebook_runner(name, params, workspace=ws)}
    setup = book.cells[0].source.replace(
        "from olympus.notebooks.export_runtime import notebook_runner", "")
    exec(setup, scope)
    exec(book.cells[2].source, scope)  # by_status
    assert sorted(scope["by_status"]["status"]) == sorted(
        ["charged_off", "current", "default", "late", "paid_off"])


def test_html_report_escapes_untrusted_text_and_embeds_charts(ws):
    nb = build(ws)
    html = ws.export_notebook(nb.id, "html").data.decode()
    assert "<title>Exports &lt;/title&gt;&lt;script&gt;x=1&lt;/script&gt;</title>" in html
    assert "<h1>Portfolio <em>notes</em></h1>" in html  # markdown rendered
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html or \
        "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in html
    assert "[click](javascript:alert(1))" in html and 'href="javascript' not in html  # as text
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "</script><script>alert(2)" not in html
    specs = re.findall(r'<script type="application/json" data-chart="(chart-\d+)">(.*?)</script>',
                       html, re.S)
    assert [s[0] for s in specs] == ["chart-0", "chart-1"]
    assert json.loads(specs[0][1])["mark"]["type"] == "bar"
    assert re.search(r'<p class="value">[\d,]+</p>', html)
    assert "vegaEmbed" in html and "https://cdn" not in html and "src=\"http" not in html


def test_viewers_export_without_running_and_bad_formats_are_refused(ws, store, settings):
    nb = build(ws)
    viewer = as_member(store, settings, "viewer")
    html = viewer.export_notebook(nb.id, "html").data.decode()
    assert "Not run in this export." in html and "data-chart" not in html
    with pytest.raises(ConfigError, match="Can't export to 'pdf'"):
        ws.export_notebook(nb.id, "pdf", run=False)
