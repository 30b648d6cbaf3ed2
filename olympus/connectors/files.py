"""Embedded databases (DuckDB, SQLite): one file on this machine instead of a server."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, ClassVar, Iterator

from olympus.connectors.base import Connector, Field
from olympus.connectors.worker import RemoteCursor
from olympus.errors import ConnectionFailed


class FileConnector(Connector):
    """Embedded databases: one file on this machine, kept as an absolute path."""

    file_help: ClassVar[str] = "Path to the database file"
    target_fields: ClassVar[tuple[str, ...]] = ("path",)
    missing_file_hint: ClassVar[str] = "Check the file path."
    # user SQL runs in worker processes (olympus.connectors.worker): an engine crash or runaway
    # query costs a restart, not the app; catalog reads and test() run our own fixed SQL here
    isolated: ClassVar[bool] = True
    solo: ClassVar[bool] = False  # True in a worker: one query at a time (a hook may keep state)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" not in cls.__dict__:  # each file type only names its own help text
            cls.fields = (Field("path", "Database file", required=True, help=cls.file_help),)

    @classmethod
    def validate(cls, params: dict[str, Any]) -> dict[str, Any]:
        from olympus.file_paths import allowed_path

        out = super().validate(params)
        # stored absolute (later runs may start elsewhere), and only under OLYMPUS_DATA_DIR
        out["path"] = allowed_path(str(out["path"]))
        return out

    def existing_path(self) -> str:
        """The file, or a clear error before any driver guesses (and maybe creates one)."""
        from olympus.file_paths import allowed_path

        path = allowed_path(self.params["path"])  # again: a symlink may have changed since
        if not os.path.exists(path):
            raise ConnectionFailed(f"No {self.label} file at {path}.",
                                   suggestion=self.missing_file_hint)
        return path

    # ---- session hooks: queries in a worker process ---------------------------------------------
    @contextmanager
    def connection(self, purpose: str) -> Iterator[Any]:
        """A query leases a worker (its cursor fetches there); anything else stays in-process."""
        if self.isolated and purpose == "query":
            with self.workers().lease() as remote:
                yield remote
        else:
            with self.local_connection(purpose) as conn:
                yield conn

    def local_connection(self, purpose: str):
        """The in-process connection (hook: DuckDB shares one handle, SQLite opens the file)."""
        return super().connection(purpose)

    def between_queries(self) -> None:
        """Hook: what a worker does after sending a reply, off the next query's time."""

    def workers(self):
        """This connector's worker processes, started on first use."""
        from olympus.connectors.worker import Spec, Workers, memory_ceiling

        with self._lock:
            if getattr(self, "_workers", None) is None:
                cls = type(self)
                spec = Spec(f"{cls.__module__}:{cls.__qualname__}", dict(self.params),
                            {"statement_timeout_s": self.statement_timeout_s,
                             "max_result_bytes": self.max_result_bytes},
                            memory_ceiling(self.max_result_bytes))
                self._workers = Workers(spec, self.pool_size)
            return self._workers

    def prepare(self, *, limit: int | None = None) -> None:
        """A worker runs the engine: this process only reads Arrow. The worker starts here, so
        its start-up is not the query's time."""
        if not self.isolated:
            super().prepare(limit=limit)
            return
        import pyarrow  # noqa: F401

        workers = self.workers()
        if not workers.ready():
            with workers.lease():  # an idle worker now waits for the query
                pass

    def canceller(self, cursor):
        """A worker's query: the worker is killed (it restarts); in-process: the engine's own
        interrupt (the hook `interrupt`)."""
        if isinstance(cursor, RemoteCursor):
            return cursor.worker.interrupt
        return self.interrupt(cursor)

    def interrupt(self, cursor):
        return None

    def run(self, cursor, sql: str, *, limit: int | None, timeout_s: float):
        if isinstance(cursor, RemoteCursor):  # the worker runs the whole session's fetch
            return cursor.fetch(sql, limit=limit, timeout_s=timeout_s)
        return super().run(cursor, sql, limit=limit, timeout_s=timeout_s)

    def run_bound(self, cursor, sql: str, params: list, *, limit: int | None, timeout_s: float):
        if isinstance(cursor, RemoteCursor):  # the values cross the pipe beside the statement
            return cursor.fetch(sql, limit=limit, timeout_s=timeout_s, params=params)
        return super().run_bound(cursor, sql, params, limit=limit, timeout_s=timeout_s)

    def dispose(self) -> None:
        super().dispose()
        with self._lock:
            workers, self._workers = getattr(self, "_workers", None), None
        if workers is not None:
            workers.stop()
