"""The notebook as a Jupyter .ipynb (nbformat 4, validated): notes become markdown cells; SQL
and question cells become plain Python code cells (no %%sql magic) that run the cell's SQL
through Olympus itself, so chaining, bound parameters and the read-only guard still apply.
A run's results are kept as outputs: an HTML table, and the Vega-Lite chart where there is one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from olympus.notebooks.export import exported_at, one_line
from olympus.notebooks.model import Cell, Notebook

if TYPE_CHECKING:
    from olympus.notebooks.run import CellRun

SETUP = """# Olympus notebook {name}, exported {when}.
# Each cell below runs its SQL through Olympus (pip install the Olympus app; OLYMPUS_HOME
# points at the store holding the connections): {{{{cell}}}} references become CTEs,
# parameters are bound by the driver, and every query passes the read-only guard.
from olympus.notebooks.export_runtime import notebook_runner

params = {params}
run_cell = notebook_runner({name}, params)"""


def to_ipynb(notebook: Notebook, runs: Mapping[str, "CellRun"],
             values: Mapping[str, Any] | None = None) -> str:
    import nbformat
    from nbformat import v4

    given = dict(values or {})
    params = {p.name: given.get(p.name, p.default) for p in notebook.params}
    cells = [v4.new_code_cell(SETUP.format(name=repr(notebook.name), when=exported_at(),
                                           params=_literal(params)))]
    count = 0
    for cell in notebook.cells:
        if cell.kind == "note":
            cells.append(v4.new_markdown_cell(cell.markdown))
            continue
        count += 1
        cells.append(_code_cell(cell, runs.get(cell.id), count))
    book = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "olympus": {"notebook": notebook.name, "id": notebook.id}})
    nbformat.validate(book)
    return nbformat.writes(book)


def _code_cell(cell: Cell, run: "CellRun | None", count: int):
    from nbformat import v4

    where = f" on {one_line(cell.connection)}" if cell.connection else ""
    lines = [f"# [{cell.kind}] {cell.name}{where}"]
    if cell.kind == "question":
        lines.append(f"# question: {one_line(cell.question)}")
    variable = _variable(cell.name)
    lines.append(f"{variable} = run_cell({cell.name!r}, {_sql_literal(cell.sql)})")
    lines.append(variable)
    outputs = _outputs(cell, run, count) if run is not None else []
    return v4.new_code_cell("\n".join(lines), outputs=outputs,
                            execution_count=count if outputs else None)


def _outputs(cell: Cell, run: "CellRun", count: int) -> list:
    from nbformat import v4

    if run.status == "skipped":
        return []
    if run.error is not None or run.result is None:
        text = f"{run.error.title}: {run.error.message}\n" if run.error else f"{run.status}\n"
        return [v4.new_output("stream", name="stderr", text=text)]
    from olympus.notebooks.export_html import chart_json, table

    result = run.result
    data = {"text/plain": f"{result.row_count:,} rows × {len(result.columns)} columns",
            "text/html": table(result)}
    spec = chart_json(cell, result) if cell.view.kind == "chart" else None
    if spec is not None:
        data[_vegalite_mime(spec)] = spec
    return [v4.new_output("execute_result", data=data, execution_count=count)]


def _vegalite_mime(spec: Mapping[str, Any]) -> str:
    """application/vnd.vegalite.vN+json for the spec's Vega-Lite major version."""
    schema = str(spec.get("$schema") or "v5")
    major = schema.rsplit("/v", 1)[-1].split(".")[0] or "5"
    return f"application/vnd.vegalite.v{major}+json"


def _variable(name: str) -> str:
    """A cell name as a Python variable that shadows no keyword or setup name."""
    import keyword

    taken = keyword.iskeyword(name) or keyword.issoftkeyword(name) or \
        name in ("params", "run_cell", "notebook_runner")
    return f"{name}_" if taken else name


def _sql_literal(sql: str) -> str:
    """The SQL as a Python string literal a person can edit (any text stays a literal)."""
    text = sql.strip()
    if '"""' not in text and "\\" not in text:
        return f'"""\n{text}\n"""'
    return repr(text)


def _literal(value: Any) -> str:
    """A parameter mapping as Python source (JSON values: strings, numbers, lists, None)."""
    return repr(json.loads(json.dumps(value, default=str)))
