"""Notebooks, their versions and cell run states in the store; every row is scoped by space."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa

from olympus.errors import ConfigError
from olympus.notebooks.model import Notebook, notebook_name
from olympus.notebooks.notebook_doc import dumps, from_doc
from olympus.notebooks.notebook_tables import notebook_cell_runs as runs_t
from olympus.notebooks.notebook_tables import notebook_versions as versions_t
from olympus.notebooks.notebook_tables import notebooks as notebooks_t
from olympus.store import NotFound
from olympus.store_db import now

if TYPE_CHECKING:
    from olympus.store import Store

REASONS = ("save", "run_all", "restore")


@dataclass(frozen=True)
class VersionInfo:
    """One saved version of a notebook (its document is read on demand)."""

    number: int
    reason: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class RunState:
    """What a cell's last run was: a fingerprint of the compiled SQL and bound values."""

    cell_id: str
    fingerprint: str
    status: str  # ok | error | cancelled
    row_count: int | None
    elapsed_ms: float | None
    error: str | None
    ran_at: datetime
    ran_by: str | None
    result_ipc: bytes | None = None  # written with the run; runs() leaves it out



class NotebookStore:
    """Notebook rows of one store; each method is one short transaction."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    # ---- notebooks ------------------------------------------------------------------------------
    def list(self, space: str) -> list[Notebook]:
        query = sa.select(notebooks_t).where(notebooks_t.c.space == space) \
            .order_by(notebooks_t.c.name)
        with self.store._read() as conn:
            return [_notebook(row) for row in conn.execute(query)]

    def get(self, space: str, ref: str) -> Notebook:
        with self.store._read() as conn:
            return _notebook(self._row(conn, space, ref))

    def create(self, space: str, notebook: Notebook, user: str | None) -> Notebook:
        """Insert a new notebook (a fresh id; the name unique in its space)."""
        name, at = notebook_name(notebook.name), now()
        row = {"id": str(uuid.uuid4()), "space": space, "name": name, "doc_json": dumps(notebook),
               "version": 0, "created_at": at, "created_by": user, "updated_at": at,
               "updated_by": user}
        with self._unique(name), self.store._write() as conn:
            self._check_free(conn, space, name)
            conn.execute(notebooks_t.insert().values(**row))
        return self.get(space, row["id"])

    def save(self, space: str, notebook: Notebook, user: str | None, *,
             reason: str | None = None) -> Notebook:
        """Write the document in place (autosave); with a reason also append a version."""
        if reason is not None and reason not in REASONS:
            raise ValueError(f"unknown version reason {reason!r}")
        at, doc = now(), dumps(notebook)
        with self.store._write() as conn:
            row = self._row(conn, space, notebook.id)
            values = {"doc_json": doc, "updated_at": at, "updated_by": user}
            if reason is not None:
                values["version"] = row.version + 1
                conn.execute(versions_t.insert().values(
                    notebook_id=row.id, number=row.version + 1, doc_json=doc, reason=reason,
                    created_at=at, created_by=user))
            conn.execute(notebooks_t.update().where(notebooks_t.c.id == row.id).values(**values))
        return self.get(space, notebook.id)

    def rename(self, space: str, ref: str, new_name: str, user: str | None) -> Notebook:
        name = notebook_name(new_name)
        with self._unique(name), self.store._write() as conn:
            row = self._row(conn, space, ref)
            if name != row.name:
                self._check_free(conn, space, name)
            conn.execute(notebooks_t.update().where(notebooks_t.c.id == row.id).values(
                name=name, updated_at=now(), updated_by=user))
        return self.get(space, row.id)

    def delete(self, space: str, ref: str) -> Notebook:
        """Remove a notebook with its versions and run states."""
        with self.store._write() as conn:
            notebook = _notebook(self._row(conn, space, ref))
            for table, column in ((runs_t, runs_t.c.notebook_id),
                                  (versions_t, versions_t.c.notebook_id),
                                  (notebooks_t, notebooks_t.c.id)):
                conn.execute(table.delete().where(column == notebook.id))
        return notebook

    # ---- versions -------------------------------------------------------------------------------
    def versions(self, space: str, ref: str) -> list[VersionInfo]:
        """Newest first."""
        with self.store._read() as conn:
            row = self._row(conn, space, ref)
            query = sa.select(versions_t.c.number, versions_t.c.reason, versions_t.c.created_at,
                              versions_t.c.created_by) \
                .where(versions_t.c.notebook_id == row.id).order_by(versions_t.c.number.desc())
            return [VersionInfo(r.number, r.reason, _utc(r.created_at), r.created_by)
                    for r in conn.execute(query)]

    def version(self, space: str, ref: str, number: int) -> Notebook:
        """The notebook as it was at version `number` (identity of today's notebook)."""
        with self.store._read() as conn:
            row = self._row(conn, space, ref)
            doc = conn.execute(sa.select(versions_t.c.doc_json).where(
                versions_t.c.notebook_id == row.id, versions_t.c.number == int(number))).scalar()
        if doc is None:
            raise NotFound(f"Notebook {row.name!r} has no version {number}.",
                           suggestion="List its versions to see which exist.")
        return replace(from_doc(doc, id=row.id, space=row.space, name=row.name),
                       updated_at=_utc(row.updated_at), updated_by=row.updated_by,
                       version=int(number))

    # ---- cell runs ------------------------------------------------------------------------------
    def record_run(self, notebook_id: str, state: RunState) -> None:
        values = {"fingerprint": state.fingerprint, "status": state.status,
                  "row_count": state.row_count, "elapsed_ms": state.elapsed_ms,
                  "error": state.error, "ran_at": state.ran_at, "ran_by": state.ran_by,
                  "result_ipc": state.result_ipc}
        key = (runs_t.c.notebook_id == notebook_id) & (runs_t.c.cell_id == state.cell_id)
        with self.store._write() as conn:
            if conn.execute(runs_t.update().where(key).values(**values)).rowcount == 0:
                conn.execute(runs_t.insert().values(notebook_id=notebook_id,
                                                    cell_id=state.cell_id, **values))

    def runs(self, notebook_id: str) -> dict[str, RunState]:
        """cell id -> its last run."""
        query = sa.select(*[c for c in runs_t.c if c.name != "result_ipc"]).where(
            runs_t.c.notebook_id == notebook_id)
        with self.store._read() as conn:
            return {r.cell_id: RunState(r.cell_id, r.fingerprint, r.status, r.row_count,
                                        r.elapsed_ms, r.error, _utc(r.ran_at), r.ran_by)
                    for r in conn.execute(query)}

    def results(self, notebook_id: str) -> dict[str, tuple[bytes, datetime]]:
        """cell id -> (its stored result as Arrow IPC, when it ran), for cells that have one."""
        query = sa.select(runs_t.c.cell_id, runs_t.c.result_ipc, runs_t.c.ran_at).where(
            runs_t.c.notebook_id == notebook_id, runs_t.c.result_ipc.is_not(None))
        with self.store._read() as conn:
            return {r.cell_id: (bytes(r.result_ipc), _utc(r.ran_at)) for r in conn.execute(query)}

    # ---- internals ------------------------------------------------------------------------------
    def _row(self, conn: sa.Connection, space: str, ref: str):
        """A notebook of this space by id or name; another space's is NotFound too."""
        ref = str(ref or "").strip()
        row = conn.execute(sa.select(notebooks_t).where(
            notebooks_t.c.space == space,
            sa.or_(notebooks_t.c.id == ref, notebooks_t.c.name == ref))).first()
        if row is None:
            raise NotFound(f"No notebook named {ref!r}.",
                           suggestion="Check the name; list notebooks to see what exists.")
        return row

    def _check_free(self, conn: sa.Connection, space: str, name: str) -> None:
        if conn.execute(sa.select(notebooks_t.c.id).where(
                notebooks_t.c.space == space, notebooks_t.c.name == name)).first():
            raise _taken(name)

    @contextmanager
    def _unique(self, name: str) -> Iterator[None]:
        """Two writers racing for one name: UNIQUE(space, name) has the last word."""
        try:
            yield
        except sa.exc.IntegrityError:
            raise _taken(name) from None


def _taken(name: str) -> ConfigError:
    return ConfigError(f"A notebook named {name!r} already exists.", title="Name already used",
                       fields=("name",), suggestion="Pick another name.")


def _notebook(row) -> Notebook:
    return replace(from_doc(row.doc_json, id=row.id, space=row.space, name=row.name),
                   updated_at=_utc(row.updated_at), updated_by=row.updated_by,
                   version=int(row.version or 0))


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
