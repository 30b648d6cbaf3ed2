"""Running notebook cells: compile (upstream cells as CTEs, parameters bound), run through
Workspace.run_sql, remember a fingerprint of what ran so changed cells show as stale."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping

from olympus.errors import ConfigError, OlympusError, QueryCancelled, UnknownError
from olympus.notebooks.model import Cell, Notebook, index_of, update_cell
from olympus.notebooks.store import RunState
from olympus.store_db import now

if TYPE_CHECKING:
    from olympus.runner import QueryHandle, QueryResult
    from olympus.workspace import Workspace

STATUSES = ("ok", "error", "cancelled", "skipped")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellRun:
    """One cell's run: its result or error, the SQL that ran (upstream CTEs included)."""

    name: str
    cell_id: str
    kind: str
    status: str  # ok | error | cancelled | skipped (notes; cells after a cancel)
    result: "QueryResult | None" = None
    error: OlympusError | None = None
    sql: str = ""
    fingerprint: str = ""
    answer: str = ""  # a question cell's short answer from the agent
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class NotebookRun:
    """Every cell's run, in order; `notebook` carries SQL a question cell was given."""

    notebook: Notebook
    cells: tuple[CellRun, ...]
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(c.status in ("ok", "skipped") for c in self.cells)

    def by_name(self) -> dict[str, CellRun]:
        return {c.name: c for c in self.cells}


# ---- compiling ---------------------------------------------------------------------------------
def resolve_values(notebook: Notebook, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every parameter's value: the given one (text parsed by its kind) or its default."""
    given = dict(values or {})
    unknown = sorted(set(given) - {p.name for p in notebook.params})
    if unknown:
        raise ConfigError(f"Notebook {notebook.name!r} has no parameter "
                          f"{', '.join(map(repr, unknown))}.", title="No such parameter",
                          suggestion="Parameters: " + (", ".join(p.name for p in notebook.params)
                                                       or "none") + ".")
    out = {}
    for param in notebook.params:
        raw = given.get(param.name, param.default)
        out[param.name] = _parse(param, raw) if raw is not None else None
    return out


def compile_at(ws: "Workspace", notebook: Notebook, index: int, values: Mapping[str, Any], *,
               local: bool = False):
    """The cell's runnable statement: compile.Compiled(sql, params, connection, upstream,
    local); local=True lets it read cells of other connections (joined on local DuckDB)."""
    from olympus.notebooks.compile import compile_cell

    cell = notebook.cells[index]
    if not cell.connection:
        raise ConfigError(f"Cell {cell.name!r} has no connection.", title="No connection",
                          suggestion="Pick the connection this cell runs on.",
                          fields=("connection",))
    return compile_cell(notebook.cells, index, values,
                        dialect_of=lambda name: ws.connector_class(name).dialect, local=local)


def fingerprint(compiled: Any) -> str:
    """What ran, as a hash: connection, compiled SQL, bound values, local or not."""
    facts = [getattr(compiled, "connection", None), compiled.sql,
             getattr(compiled, "params", None), bool(getattr(compiled, "local", False)),
             [(name, fingerprint(part)) for name, part in getattr(compiled, "parts", ())]]
    text = json.dumps(facts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _parse(param: Any, raw: Any) -> Any:
    from olympus.notebooks.params import parse_value

    return parse_value(param, raw)


def run_compiled_result(ws: "Workspace", compiled: Any, *, limit: int | None = None,
                        handle: "QueryHandle | None" = None) -> "QueryResult":
    """A compiled cell through the guarded path (Workspace.run_sql underneath)."""
    from olympus.notebooks.compile import run_compiled

    return run_compiled(ws, compiled, limit=limit, handle=handle, source="notebook")


# ---- running -------------------------------------------------------------------------------------
def run_one(ws: "Workspace", notebook: Notebook, ref: str, values: Mapping[str, Any] | None, *,
            handle: "QueryHandle | None" = None, limit: int | None = None,
            local: bool = False) -> CellRun:
    """Run one cell and record its run state."""
    resolved = resolve_values(notebook, values)
    _, run = _run(ws, notebook, index_of(notebook, ref), resolved, handle=handle, limit=limit,
                  local=local)
    return run


def run_every(ws: "Workspace", notebook: Notebook, values: Mapping[str, Any] | None, *,
              progress: Callable[[int, int, Cell], None] | None = None,
              handle: "QueryHandle | None" = None, limit: int | None = None,
              record: bool = True, local: bool = False) -> NotebookRun:
    """Every cell in order; a failed cell doesn't stop the rest, a cancel does."""
    resolved = resolve_values(notebook, values)
    runs: list[CellRun] = []
    total = len(notebook.cells)
    for i in range(total):
        cell = notebook.cells[i]
        if handle is not None and handle.cancelled:
            runs += [_skipped(c, "cancelled") for c in notebook.cells[i:]]
            return NotebookRun(notebook, tuple(runs), cancelled=True)
        if progress is not None:
            progress(i, total, cell)
        notebook, run = _run(ws, notebook, i, resolved, handle=handle, limit=limit,
                             record=record, local=local)
        runs.append(run)
        if run.status == "cancelled":
            runs += [_skipped(c, "cancelled") for c in notebook.cells[i + 1:]]
            return NotebookRun(notebook, tuple(runs), cancelled=True)
    return NotebookRun(notebook, tuple(runs))


def _run(ws: "Workspace", notebook: Notebook, index: int, values: Mapping[str, Any], *,
         handle: "QueryHandle | None", limit: int | None, record: bool = True,
         local: bool = False) -> tuple[Notebook, CellRun]:
    cell = notebook.cells[index]
    if cell.kind == "note":
        return notebook, _skipped(cell, "skipped")
    started, mark = time.perf_counter(), ""
    try:
        if cell.kind == "question" and not cell.sql.strip():
            notebook, run = _ask(ws, notebook, index)  # the agent ran the SQL it wrote
            if run.status == "ok":
                mark = fingerprint(compile_at(ws, notebook, index, values, local=local))
                run = replace(run, fingerprint=mark,
                              elapsed_ms=(time.perf_counter() - started) * 1000)
            return notebook, _recorded(ws, notebook, run, record)
        compiled = compile_at(ws, notebook, index, values, local=local)
        mark = fingerprint(compiled)
        result = run_compiled_result(ws, compiled, limit=limit, handle=handle)
        run = CellRun(cell.name, cell.id, cell.kind, "ok", result=result, sql=compiled.sql,
                      fingerprint=mark, elapsed_ms=(time.perf_counter() - started) * 1000)
    except Exception as exc:
        if not isinstance(exc, OlympusError):
            log.exception("Notebook cell %r failed unexpectedly", cell.name)
        error = exc if isinstance(exc, OlympusError) else UnknownError(
            f"{type(exc).__name__}: {exc}"[:500])
        status = "cancelled" if isinstance(error, QueryCancelled) else "error"
        run = CellRun(cell.name, cell.id, cell.kind, status, error=error,
                      sql=error.sql or cell.sql, fingerprint=mark,
                      elapsed_ms=(time.perf_counter() - started) * 1000)
        if _before_work(exc):
            raise
    return notebook, _recorded(ws, notebook, run, record)


def _before_work(exc: BaseException) -> bool:
    """Not a cell's failure but the caller's (not allowed): raised, not reported per cell."""
    from olympus.teams import Forbidden

    return isinstance(exc, Forbidden)


def _ask(ws: "Workspace", notebook: Notebook, index: int) -> tuple[Notebook, CellRun]:
    """A question cell without SQL: the agent writes (and runs) it; the SQL is kept on the
    cell (autosaved), where the person can edit it."""
    from olympus.agent.loop import ask

    cell = notebook.cells[index]
    if not cell.connection:
        raise ConfigError(f"Cell {cell.name!r} has no connection.", title="No connection",
                          fields=("connection",))
    answer = ask(ws, cell.connection, cell.question)
    if answer.sql:
        view = cell.view
        if answer.chart is not None and view.kind == "table" and not view.chart:
            view = replace(view, chart=answer.chart.to_dict())
        notebook = update_cell(notebook, cell.id, sql=answer.sql, view=view)
        _keep_sql(ws, notebook.id, notebook.cells[index])
    status = "ok" if answer.error is None and answer.result is not None else "error"
    error = answer.error
    if status == "error" and error is None:
        error = ConfigError("The agent gave no query for this question.", title="No query")
    return notebook, CellRun(cell.name, cell.id, cell.kind, status, result=answer.result,
                             error=error, sql=answer.sql or "", answer=answer.answer or "")


def _keep_sql(ws: "Workspace", notebook_id: str, cell: Cell) -> None:
    """Autosave the agent's SQL into the stored notebook as it is now (edits made meanwhile
    stay), unless the cell is gone or got SQL of its own."""
    from olympus.store import NotFound

    if not notebook_id or not ws.principal.can("save"):
        return
    try:
        current = ws.notebook_store.get(ws.owner, notebook_id)
        if current.cell(cell.id).sql.strip():
            return
    except (NotFound, ConfigError):
        return
    ws.notebook_store.save(ws.owner, update_cell(current, cell.id, sql=cell.sql, view=cell.view),
                           ws.principal.user)


def _recorded(ws: "Workspace", notebook: Notebook, run: CellRun, record: bool) -> CellRun:
    if record and run.status in ("ok", "error", "cancelled") and notebook.id:
        from olympus.notebooks.results import encode

        result = run.result
        ws.notebook_store.record_run(notebook.id, RunState(
            run.cell_id, run.fingerprint, run.status,
            None if result is None else result.row_count, round(run.elapsed_ms, 1),
            None if run.error is None else f"{run.error.title}: {run.error.message}",
            now(), ws.principal.user, encode(result) if run.status == "ok" else None))
    return run


def _skipped(cell: Cell, status: str) -> CellRun:
    return CellRun(cell.name, cell.id, cell.kind, status)


# ---- staleness -----------------------------------------------------------------------------------
def staleness(ws: "Workspace", notebook: Notebook, values: Mapping[str, Any] | None,
              runs: Mapping[str, RunState]) -> dict[str, str]:
    """fresh | stale | never_run | failed for every SQL and question cell."""
    resolved = resolve_values(notebook, values)
    out: dict[str, str] = {}
    for i, cell in enumerate(notebook.cells):
        if cell.kind == "note":
            continue
        state = runs.get(cell.id)
        if state is None:
            out[cell.name] = "never_run"
            continue
        try:
            # local=True compiles exactly as a run that was allowed to go local did
            current = fingerprint(compile_at(ws, notebook, i, resolved, local=True))
        except OlympusError:
            current = None
        if current != state.fingerprint:
            out[cell.name] = "stale"
        else:
            out[cell.name] = "fresh" if state.status == "ok" else "failed"
    return out
