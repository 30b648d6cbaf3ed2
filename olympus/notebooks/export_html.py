"""The notebook as one self-contained HTML report: notes (CommonMark, raw HTML off), SQL,
tables and Vega-Lite charts with the Vega JavaScript inlined, so it opens offline. Every
untrusted string is escaped; chart specs travel as JSON data, never as script text."""

from __future__ import annotations

import functools
import html
import json
from typing import TYPE_CHECKING, Any, Mapping

from olympus.notebooks.export import exported_at, one_line, param_line
from olympus.notebooks.model import Cell, Notebook

if TYPE_CHECKING:
    from olympus.notebooks.run import CellRun
    from olympus.runner import QueryResult

TABLE_ROWS = 200  # rows of a table shown in the report (the rest summarised)
CHART_WIDTH = 860  # px: the report column (a fixed width draws the same everywhere)
# Offline by construction: nothing is fetched (no remote images, fonts, scripts); Vega needs eval
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'unsafe-inline'; img-src data:")
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.8rem;margin-bottom:.2rem} .meta{color:#57606a;font-size:.85rem}
section.cell{margin:1.6rem 0;border-top:1px solid #d0d7de;padding-top:.8rem}
.cell h2{font-size:1.05rem;margin:.2rem 0 .5rem;font-family:ui-monospace,monospace}
pre{background:#f6f8fa;padding:.7rem;overflow:auto;border-radius:6px;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem} td,th{border:1px solid #d0d7de;padding:.25rem .5rem}
th{background:#f6f8fa;text-align:left} td.num{text-align:right}
.error{color:#cf222e} .value{font-size:2.2rem;font-weight:600} .chart{min-height:40px}
"""
_START = """
document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (s) {
  vegaEmbed('#' + s.dataset.chart, JSON.parse(s.textContent), {actions: false, renderer: 'svg'});
});
"""


def to_html(notebook: Notebook, runs: Mapping[str, "CellRun"],
            values: Mapping[str, Any] | None = None) -> str:
    body = [f"<h1>{_e(notebook.name)}</h1>",
            f'<p class="meta">Exported from Olympus on {_e(exported_at())}</p>']
    if notebook.params:
        body.append("<ul class=\"params\">" + "".join(
            f"<li><code>{_e(param_line(p, values))}</code></li>" for p in notebook.params)
            + "</ul>")
    charts: list[str] = []
    for cell in notebook.cells:
        body.append(_cell(cell, runs.get(cell.id), charts))
    scripts = ""
    if charts:
        scripts = f"<script>{vega_bundle()}</script>\n<script>{_START}</script>"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>{_e(notebook.name)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + f"\n{''.join(charts)}\n{scripts}\n</body></html>\n")


def _cell(cell: Cell, run: "CellRun | None", charts: list[str]) -> str:
    if cell.kind == "note":
        return f'<section class="cell note">{markdown(cell.markdown)}</section>'
    where = f" · {_e(one_line(cell.connection))}" if cell.connection else ""
    parts = [f'<section class="cell {cell.kind}"><h2>{_e(cell.name)}'
             f'<span class="meta">{where}</span></h2>']
    if cell.kind == "question" and cell.question:
        parts.append(f"<p><em>{_e(cell.question)}</em></p>")
    if run is not None and run.answer:
        parts.append(f"<p>{_e(run.answer)}</p>")
    if cell.sql.strip():
        parts.append(f"<details><summary>SQL</summary><pre><code>{_e(cell.sql)}</code></pre>"
                     "</details>")
    parts.append(_outcome(cell, run, charts))
    return "".join(parts) + "</section>"


def _outcome(cell: Cell, run: "CellRun | None", charts: list[str]) -> str:
    if run is None or run.status == "skipped":
        return '<p class="meta">Not run in this export.</p>'
    if run.error is not None or run.result is None:
        message = f"{run.error.title}: {run.error.message}" if run.error else run.status
        return f'<p class="error">{_e(message)}</p>'
    result = run.result
    if cell.view.kind == "value" and result.row_count and result.columns:
        return f'<p class="value">{_e(_text(result.rows()[0][0]))}</p>'
    spec = chart_json(cell, result) if cell.view.kind == "chart" else None
    if spec is not None:
        chart_id = f"chart-{len(charts)}"
        charts.append(f'<script type="application/json" data-chart="{chart_id}">'
                      f"{script_json(spec)}</script>")
        return f'<div class="chart" id="{chart_id}" role="img" ' \
               f'aria-label="Chart of {_e(cell.name)}"></div>'
    return table(result)


def chart_json(cell: Cell, result: "QueryResult") -> dict | None:
    """The cell's Vega-Lite spec (its chart spec, else the one Olympus would suggest)."""
    from olympus import charts

    try:
        spec = charts.validate(cell.view.chart, result.columns) if cell.view.chart \
            else charts.suggest_for(result)
        if spec is None:
            return None
        chart = charts.to_altair(spec, result.df, dict(zip(result.columns, result.types)))
        return chart.properties(width=CHART_WIDTH).to_dict()
    except Exception:  # a spec that no longer fits the result: the table shows it instead
        return None


def table(result: "QueryResult") -> str:
    rows = result.rows()[:TABLE_ROWS]
    head = "".join(f"<th>{_e(c)}</th>" for c in result.columns)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    more = result.row_count - len(rows)
    note = f'<p class="meta">{more:,} more rows not shown.</p>' if more > 0 else ""
    cut = f'<p class="meta">{_e(result.truncation_note)}</p>' if result.truncation_note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}{cut}"


def _td(value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return f'<td class="num">{_e(_text(value))}</td>' if number else f"<td>{_e(_text(value))}</td>"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def markdown(text: str) -> str:
    """CommonMark with raw HTML disabled (shown as text) and unsafe link schemes refused."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).render(text or "")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could end it."""
    text = json.dumps(value, default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one script (vl-convert bundles them), built once."""
    import vl_convert

    return vl_convert.javascript_bundle()


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)
