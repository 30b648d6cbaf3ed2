"""What an exported .ipynb calls: run one cell's SQL (as edited in Jupyter) of a stored
notebook through Olympus, with the earlier cells' SQL as edited so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from olympus.workspace import Workspace


def notebook_runner(name: str, params: Mapping[str, Any] | None = None, *,
                    workspace: "Workspace | None" = None) -> Callable[[str, str], Any]:
    """A function (cell name, sql) -> DataFrame for the stored notebook `name`."""
    from olympus.notebooks.model import index_of, update_cell
    from olympus.notebooks.run import compile_at, resolve_values, run_compiled_result

    ws = workspace or _workspace()
    state = {"notebook": ws.notebook(name)}
    values = resolve_values(state["notebook"], params)

    def run_cell(cell: str, sql: str):
        ws.principal.require("query")
        notebook = update_cell(state["notebook"], cell, sql=sql)
        state["notebook"] = notebook
        compiled = compile_at(ws, notebook, index_of(notebook, cell), values)
        return run_compiled_result(ws, compiled).df

    return run_cell


def _workspace() -> "Workspace":
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env()
    return Workspace(Store.from_settings(settings), settings=settings)
