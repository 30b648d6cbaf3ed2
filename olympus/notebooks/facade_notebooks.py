"""Workspace methods: notebooks: cells, versions, run, export (mixed in through olympus.notebooks.facade)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from olympus.notebooks.model import Cell, Notebook, Param, check
from olympus.workspace_audit import audited

if TYPE_CHECKING:
    from olympus.notebooks.export import Export
    from olympus.notebooks.run import CellRun, NotebookRun
    from olympus.notebooks.store import NotebookStore, VersionInfo
    from olympus.notebooks.versions import NotebookDiff
    from olympus.runner import QueryHandle, QueryResult

Values = Mapping[str, Any] | None
Progress = Callable[[int, int, Cell], None] | None


class NotebookMethods:
    """Notebooks: cells, versions, run, export for the signed-in user and space (self.principal, self.owner).
    Viewers open, list, diff and export; editors save and run; another space's is NotFound."""

    @property
    def notebook_store(self) -> "NotebookStore":
        from olympus.notebooks.store import NotebookStore

        return NotebookStore(self.store)

    # ---- documents ------------------------------------------------------------------------------
    def notebooks(self) -> list[Notebook]:
        """The space's notebooks, by name."""
        self.principal.require("view")
        return self.notebook_store.list(self.owner)

    def notebook(self, name: str) -> Notebook:
        """One notebook by name or id."""
        self.principal.require("view")
        return self.notebook_store.get(self.owner, name)

    @audited("notebook_create")
    def create_notebook(self, name: str, *, cells: Iterable[Cell] = (),
                        params: Iterable[Param] = ()) -> Notebook:
        self.principal.require("save")
        draft = check(Notebook(id="", space=self.owner, name=name, cells=tuple(cells),
                               params=tuple(params)))
        return self.notebook_store.create(self.owner, draft, self.principal.user)

    @audited("notebook_rename", lambda a: f"{a['name']} -> {a['new_name']}")
    def rename_notebook(self, name: str, new_name: str) -> Notebook:
        self.principal.require("save")
        return self.notebook_store.rename(self.owner, name, new_name, self.principal.user)

    @audited("notebook_delete")
    def delete_notebook(self, name: str) -> Notebook:
        self.principal.require("save")
        return self.notebook_store.delete(self.owner, name)

    def save_notebook(self, notebook: Notebook, *, version: bool = False) -> Notebook:
        """Autosave (the document in place) or, with version=True, also a numbered version.
        The notebook is found by id in this space only."""
        self.principal.require("save")
        return self.notebook_store.save(self.owner, check(notebook), self.principal.user,
                                        reason="save" if version else None)

    # ---- versions -------------------------------------------------------------------------------
    def notebook_versions(self, name: str) -> list["VersionInfo"]:
        """Newest first."""
        self.principal.require("view")
        return self.notebook_store.versions(self.owner, name)

    def notebook_version(self, name: str, number: int) -> Notebook:
        self.principal.require("view")
        return self.notebook_store.version(self.owner, name, number)

    def notebook_diff(self, name: str, a: int, b: int | None = None) -> "NotebookDiff":
        """Per-cell unified diff from version a to version b (None: the current document)."""
        from olympus.notebooks.versions import diff

        old = self.notebook_version(name, a)
        new = self.notebook(name) if b is None else self.notebook_version(name, b)
        return diff(old, new, old_label=f"v{a}", new_label="current" if b is None else f"v{b}")

    @audited("notebook_restore", lambda a: f"{a['name']} v{a['number']}")
    def restore_notebook(self, name: str, number: int) -> Notebook:
        """Make version `number` the current document again, as a new version (nothing lost)."""
        self.principal.require("save")
        old = self.notebook_store.version(self.owner, name, number)
        return self.notebook_store.save(self.owner, old, self.principal.user, reason="restore")

    # ---- running --------------------------------------------------------------------------------
    def run_cell(self, name: str, cell: str, values: Values = None, *,
                 handle: "QueryHandle | None" = None, limit: int | None = None,
                 local: bool = False) -> "CellRun":
        """Run one cell (its upstream cells compiled in as CTEs) with parameter values; a
        question cell without SQL asks the agent and keeps the SQL on the cell. local=True:
        cells of other connections are fetched and joined on local DuckDB."""
        from olympus.notebooks.run import run_one

        self.principal.require("query")
        return run_one(self, self.notebook(name), cell, values, handle=handle, limit=limit,
                       local=local)

    def run_all(self, name: str, values: Values = None, *, progress: Progress = None,
                handle: "QueryHandle | None" = None, limit: int | None = None,
                local: bool = False) -> "NotebookRun":
        """Run every cell in order (progress(i, n, cell) before each); handle.cancel() stops
        the running statement and the rest. Makes a version (reason run_all) of the stored
        document, so edits saved while it ran are kept."""
        from olympus.notebooks.run import run_every

        self.principal.require("query")
        self.principal.require("save")
        notebook = self.notebook(name)
        done = run_every(self, notebook, values, progress=progress, handle=handle, limit=limit,
                         local=local)
        current = self.notebook_store.get(self.owner, notebook.id)  # edits made meanwhile
        saved = self.notebook_store.save(self.owner, current, self.principal.user,
                                         reason="run_all")
        return replace(done, notebook=saved)

    def notebook_param_choices(self, name: str, param: str) -> list[str]:
        """The values a choice parameter offers: the first column of its query, run through
        the guarded path on its connection."""
        from olympus.notebooks.params import choices

        self.principal.require("query")
        spec = self.notebook(name).param(param)
        if spec.kind != "choice" or not spec.choices_sql.strip() or not spec.connection:
            return []
        return choices(self, spec.connection, spec.choices_sql)

    def stale_cells(self, name: str, values: Values = None) -> dict[str, str]:
        """cell name -> fresh | stale | never_run | failed (notes are left out): stale when
        what would run now (its SQL, upstream cells or parameter values) differs from the
        last run."""
        from olympus.notebooks.run import staleness

        self.principal.require("view")
        notebook = self.notebook(name)
        return staleness(self, notebook, values,
                         self.notebook_store.runs(notebook.id))

    def cell_results(self, name: str) -> dict[str, "QueryResult"]:
        """cell name -> its last stored result (first rows up to 2 MB), for anyone who may view
        the notebook and the cell's connection; nothing runs."""
        from olympus.notebooks.results import decode
        from olympus.store import NotFound

        self.principal.require("view")
        notebook = self.notebook(name)
        stored = self.notebook_store.results(notebook.id)
        visible: dict[str, bool] = {}
        out = {}
        for cell in notebook.cells:
            if cell.id not in stored or not cell.connection:
                continue
            if cell.connection not in visible:  # a grant may hide a connection from this user
                try:
                    self.get(cell.connection)
                    visible[cell.connection] = True
                except NotFound:
                    visible[cell.connection] = False
            if visible[cell.connection]:
                out[cell.name] = decode(*stored[cell.id])
        return out

    # ---- export ---------------------------------------------------------------------------------
    def export_notebook(self, name: str, to: str, *, values: Values = None,
                        run: bool | None = None, local: bool = False) -> "Export":
        """A .sql, .html or .ipynb file of the notebook. With run (default: when this user may
        run queries) the results are included: tables and charts."""
        self.principal.require("view")
        notebook = self.notebook(name)
        if run is None:
            run = self.principal.can("query") and to != "sql"
        results = None
        if run:
            from olympus.notebooks.run import run_every

            self.principal.require("query")
            results = run_every(self, notebook, values, record=False, local=local).cells
        from olympus.notebooks.export import export

        return export(notebook, to, results=results, values=values)
