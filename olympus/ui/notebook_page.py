"""Notebooks page: the list, or one notebook (parameters, ordered cells, run all with progress
and Cancel, versions, history, exports, permalink) and its present view.

The URL holds what is open (?notebook=NAME&cell=NAME&present=1), so a reload or a shared link
lands on the same notebook; the core refuses another space's notebook (NotFound) and a role
without the right (Forbidden), the page hides what the role can't use."""

from __future__ import annotations

import streamlit as st

from olympus.notebooks.model import Notebook
from olympus.ui import notebook_cells, notebook_list, notebook_params, notebook_run, notebook_side
from olympus.ui import notebook_state as nstate
from olympus.ui import notebook_schedules, resources, state, widgets
from olympus.ui.safe_text import md_text
from olympus.ui.widgets import ICONS


def render() -> None:
    ws = resources.workspace()
    name = st.query_params.get("notebook")
    if not name:
        widgets.header("Notebooks", ICONS["notebooks"], "Analysis that lasts: SQL, questions "
                       "and notes in cells that read each other, with parameters and versions.")
        notebook_list.render(ws)
        return
    nb = _open(ws, name)
    if nb is None:
        return
    if st.query_params.get("present") == "1":
        present(ws, nb)
    else:
        notebook(ws, nb)


def _open(ws, name: str) -> Notebook | None:
    """The named notebook, or a clear message (not in this space, or not allowed)."""
    from olympus.store import NotFound
    from olympus.teams import Forbidden

    try:
        return ws.notebook(name)
    except (NotFound, Forbidden) as exc:
        widgets.header("Notebooks", ICONS["notebooks"])
        st.error(f"**{md_text(exc.title)}** · No notebook named {md_text(name)} is open to "
                 "you in this space. Check the link, or ask a member of its space to add you.",
                 icon=ICONS["failed"])
    except Exception as exc:
        widgets.error_box(exc)
    if st.button("All notebooks", icon=":material/arrow_back:", key="nb:back"):
        notebook_list.open_notebook(None)
        st.rerun()
    return None


def _save(ws):
    def save(nb: Notebook) -> None:
        saved, _ = widgets.guarded(lambda: ws.save_notebook(nb))
        if saved is not None:
            st.rerun()

    return save


def _prepare(ws, nb: Notebook, chosen: dict) -> dict[str, str]:
    """Staleness of every cell; a new session shows fresh cells' results again (cache)."""
    stale = _stale(ws, nb, chosen)
    if not nstate.loaded(ws.owner, nb.id):
        with st.spinner("Loading the last results…"):
            nstate.load_fresh(ws, nb, chosen, stale)
    return stale


def _stale(ws, nb: Notebook, chosen: dict) -> dict[str, str]:
    """ws.stale_cells; a cold server's first page can meet sqlglot half imported by a
    background thread (the health monitor's or scheduler's first check): a moment later it
    is whole, so an import-time failure is tried again before it is shown."""
    import logging
    import time

    from olympus.errors import OlympusError

    for wait in (0.2, 0.5, 1.0):
        try:
            return ws.stale_cells(nb.id, chosen)
        except OlympusError:
            break
        except Exception:  # AttributeError / import deadlock while another thread imports
            logging.getLogger(__name__).warning("stale_cells failed; retrying", exc_info=True)
            time.sleep(wait)
    found, _ = widgets.guarded(lambda: ws.stale_cells(nb.id, chosen), show_sql=False)
    return found or {}


def notebook(ws, nb: Notebook) -> None:
    can_edit, can_run = ws.principal.can("save"), ws.principal.can("query")
    save = _save(ws)
    top_bar(ws, nb, can_edit=can_edit)
    chosen = notebook_params.inputs(ws, nb)
    job = notebook_run.pending(ws, nb)
    run_bar(ws, nb, chosen, can_edit=can_edit, can_run=can_run, busy=job is not None)
    if job is not None:
        notebook_run.follow_all(ws, nb, job)
    run_now = state.pop(ws.owner, "nb:run_now")  # Ctrl/Cmd+Enter in a cell's editor
    if run_now and can_run:
        notebook_run.run_cell(ws, nb, run_now, chosen)
    stale = _prepare(ws, nb, chosen)
    notice = state.pop(ws.owner, "nb:notice")
    if notice:
        widgets.error_box(notice, show_sql=False)
    notebook_cells.status_line(stale)
    notebook_schedules.line(ws, nb)
    kept = nstate.results(ws.owner, nb.id)
    actions = {"run": lambda cell: _run_one(ws, nb, cell, chosen),
               "refresh": lambda cell: (lambda: _refresh(ws, nb, cell, chosen))}
    if not can_run:
        st.info(f"As a {ws.principal.role} of this space you can read this notebook but not "
                "run or edit it.", icon=":material/visibility:")
    for i, cell in enumerate(nb.cells):
        notebook_cells.cell_view(ws, nb, cell, i, status=stale.get(cell.name),
                                 run=kept.get(cell.id), save=save, actions=actions,
                                 can_edit=can_edit, can_run=can_run)
    if can_edit:
        default = next((c.connection for c in reversed(nb.cells) if c.connection), None)
        records = ws.connections()
        notebook_cells.add_bar(ws, nb, records, save=save,
                               connection=default or (records[0].name if records else None))
        changed = notebook_params.editor(ws, nb, records)
        if changed is not None:
            save(changed)
    side(ws, nb, chosen, save=save, can_edit=can_edit)
    _focus(nb)


def _run_one(ws, nb: Notebook, cell, chosen: dict) -> None:
    notebook_run.run_cell(ws, nb, cell.id, chosen)
    st.rerun()


def _refresh(ws, nb: Notebook, cell, chosen: dict) -> None:
    """Refresh past the result cache: the cell's compiled SQL again with refresh=True."""
    from olympus.notebooks.run import CellRun, compile_at, resolve_values

    def fresh():
        compiled = compile_at(ws, nb, nb.cells.index(cell), resolve_values(nb, chosen))
        return ws.run_sql(compiled.connection, compiled.sql, params=dict(compiled.params),
                          source="notebook", refresh=True), compiled.sql

    done, _ = widgets.guarded(fresh)
    if done is not None:
        nstate.keep(ws.owner, nb.id, CellRun(cell.name, cell.id, cell.kind, "ok",
                                             result=done[0], sql=done[1]))
        st.rerun()


def top_bar(ws, nb: Notebook, *, can_edit: bool) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="nb-top"):
        if st.button("All notebooks", icon=":material/arrow_back:", key="nb:back",
                     type="tertiary"):
            notebook_list.open_notebook(None)
            st.rerun()
        st.title(f"{ICONS['notebooks']} {md_text(nb.name)}", anchor=False)
    with st.container(horizontal=True, vertical_alignment="center", key="nb-meta"):
        st.caption(f"v{nb.version} · edited {widgets.ago(nb.updated_at)}"
                   + (f" by {md_text(nb.updated_by)}" if nb.updated_by else "")
                   + " · edits autosave")
        if st.button("Present", icon=":material/slideshow:", key="nb:present",
                     type="tertiary", help="Results, charts and notes only, full width"):
            st.query_params["present"] = "1"
            st.rerun()
        notebook_side.copy_link(nb, [c.name for c in nb.cells])
        if can_edit and st.button("Save version", icon=":material/save:", key="nb:save",
                                  help="Keep this state as a numbered version"):
            saved, _ = widgets.guarded(lambda: ws.save_notebook(nb, version=True))
            if saved is not None:
                st.toast(f"Saved as v{saved.version}", icon=":material/save:")


def run_bar(ws, nb: Notebook, chosen: dict, *, can_edit: bool, can_run: bool,
            busy: bool) -> None:
    if not (can_run and can_edit) or not nb.cells:
        return
    if st.button("Run all", icon=ICONS["run"], type="primary", key="nb:run_all",
                 disabled=busy, help="Every cell in order; makes a version"):
        notebook_run.start_all(ws, nb, chosen)
        st.rerun()


def side(ws, nb: Notebook, chosen: dict, *, save, can_edit: bool) -> None:
    with st.sidebar:
        st.subheader("This notebook", anchor=False)
        notebook_side.exports(ws, nb, chosen)
        notebook_side.versions(ws, nb, can_edit=can_edit)
        notebook_side.history(ws, nb, save=save, can_edit=can_edit)


def present(ws, nb: Notebook) -> None:
    """Stakeholder view: the title, parameter values, notes and results only; full width, no
    editors or buttons (the link below leaves it)."""
    st.title(md_text(nb.name), anchor=False)
    chosen = {p.name: nstate.values(ws.owner, nb).get(p.name, p.default) for p in nb.params}
    if nb.params:
        st.caption(" · ".join(f"{md_text(p.label or p.name)}: {md_text(_shown(chosen[p.name]))}"
                              for p in nb.params))
    _prepare(ws, nb, {k: v for k, v in chosen.items() if v is not None})
    kept = nstate.results(ws.owner, nb.id)
    if not ws.principal.can("query"):  # results are the last stored runs: nothing runs here
        st.caption(f"As a {ws.principal.role} of this space you see the results of the last "
                   "run; members who can run queries refresh them.")
    only = st.query_params.get("cell")
    for cell in nb.cells:
        if only and cell.name != only:
            continue
        notebook_cells.present_view(cell, kept.get(cell.id))
    back = notebook_side.link(nb).split("/Notebooks", 1)[1]
    st.markdown(f":material/close: [Leave the present view](Notebooks{back})")


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return " to ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _focus(nb: Notebook) -> None:
    """?cell=NAME: scroll that cell into view once per session and link (not on every rerun,
    which would pull the page back while the person works further down)."""
    wanted = st.query_params.get("cell")
    target = next((c for c in nb.cells if c.name == wanted), None)
    if target is None or st.session_state.get("nb:focused") == (nb.id, target.id):
        return
    st.session_state["nb:focused"] = (nb.id, target.id)
    from olympus.ui.ask_entries import scroll_to

    scroll_to(f"nb-cell-{target.id}")
