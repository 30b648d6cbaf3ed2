"""The connector contract: one small class per database, differences declared as class attributes."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Mapping

from olympus.connectors._catalog import assemble, paused_gc
from olympus.connectors.arrow import fetch_rows, rows_to_arrow
from olympus.connectors.functions import LearnedFunctions, rows_to_learned
from olympus.connectors.traits import (GENERIC_RULES, UNKNOWN_POLICY, AgentRules, Capabilities,
                                       SQLPolicy)
from olympus.errors import (COMMON_RULES, NETWORK_RULES, ConfigError, ErrorRule, OlympusError,
                            map_error)

if TYPE_CHECKING:  # heavy imports stay lazy
    import pyarrow as pa
    from sqlalchemy.engine import Connection, Engine

    from olympus.connectors.plans import Plan, PlanReader

DEFAULT_MAX_RESULT_BYTES = 128 * 1024 ** 2
Progress = Callable[[str, float], None]
Keep = Callable[[str], bool]  # schema filter a catalog reader may apply early (BigQuery datasets)
Undo = Callable[[], None] | None  # what begin_readonly returns: run when the session ends


def _quiet(_message: str, _fraction: float) -> None:
    """The progress callback when nobody listens."""


@dataclass(frozen=True)
class Field:
    """One form field of a connector, rendered by the UI and accepted by the CLI."""

    name: str
    label: str
    type: str = "text"  # text | int | password | select | file | bool
    required: bool = False
    default: Any = None
    help: str = ""
    secret: bool = False
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestResult:
    """Outcome of `Connector.test()`; `error` is a mapped OlympusError (never raw driver text)."""

    ok: bool
    latency_ms: float
    server_version: str | None = None
    database: str | None = None
    error: Any = None  # OlympusError | None
    # What these credentials may do beyond reading ("superuser", "INSERT on public.orders"):
    # () = nothing found, None = the database can't tell us (or the test failed)
    risky: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        return {"ok": self.ok, "latency_ms": round(self.latency_ms, 1),
                "server_version": self.server_version, "database": self.database,
                "error": self.error.to_dict() if self.error else None,
                "risky": None if self.risky is None else list(self.risky)}


@dataclass(frozen=True)
class Fetched:
    """Raw rows of one guarded query as Arrow, before the runner wraps them."""

    table: "pa.Table"
    truncated: bool
    db_types: tuple[str, ...] = field(default_factory=tuple)
    truncated_by: str | None = None  # "rows" (the row limit) or "bytes" (the result byte cap)
    scanned_bytes: int | None = None  # what the engine billed/scanned, where it says (BigQuery)


def _did_you_mean(unknown: list[str], known: Iterable[str]) -> str:
    """The "Did you mean `username`?" after settings close to a real one (`user`), else ""."""
    import difflib

    known = list(known)
    close = {name: difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
             for name in unknown}
    guesses = [(name, found[0]) for name, found in close.items() if found]
    if not guesses:
        return ""
    if len(unknown) == 1:
        return f" Did you mean `{guesses[0][1]}`?"
    return " Did you mean " + ", ".join(f"`{real}` (not {name})" for name, real in guesses) + "?"


class Connector:
    """Base for every database; subclasses override attributes and the few hooks that differ."""

    type: ClassVar[str] = ""  # registry key, e.g. "postgresql"
    aliases: ClassVar[tuple[str, ...]] = ()  # other names the registry and the CLI accept
    label: ClassVar[str] = ""  # human name for forms and cards
    icon: ClassVar[str] = ":material/database:"
    dialect: ClassVar[str] = ""  # sqlglot dialect name
    fence_names: ClassVar[tuple[str, ...]] = ()  # extra ```lang names models use for this SQL
    default_port: ClassVar[int | None] = None
    fields: ClassVar[tuple[Field, ...]] = ()
    missing_labels: ClassVar[Mapping[str, str]] = {}  # field -> wording when it is missing
    # Fields that decide where the credentials are sent: changing one needs every saved secret
    # entered again (else an edit could point a saved password at the editor's own server).
    target_fields: ClassVar[tuple[str, ...]] = ("host", "port", "url", "sslmode", "ssl")
    error_rules: ClassVar[tuple[ErrorRule, ...]] = ()  # checked before COMMON_RULES
    version_query: ClassVar[str] = "SELECT version()"
    database_query: ClassVar[str] = "SELECT current_database()"
    system_schemas: ClassVar[frozenset[str]] = frozenset({"information_schema"})
    capabilities: ClassVar[Capabilities] = Capabilities()
    sql_policy: ClassVar[SQLPolicy] = UNKNOWN_POLICY  # a class must say what it allows
    agent_rules: ClassVar[AgentRules] = GENERIC_RULES
    catalog_timeout_factor: ClassVar[float] = 4.0  # the catalog may take longer than one query
    driver_modules: ClassVar[tuple[str, ...]] = ()  # imported by prepare(), before timing
    # (name, code) rows about the database's callables; codes in connectors.functions.CODES
    functions_sql: ClassVar[str | None] = None
    # Least-privilege read-only role for this database, shown when test() finds risky privileges
    read_only_role_recipe: ClassVar[str] = ""
    privileges_in_session: ClassVar[bool] = True  # False: privileges() needs no cursor
    # How a bound parameter (`{{name}}`) is spelled in the statement the guard checks and the
    # driver receives: "qmark" (`?` per use) or "dollar" (`$1`, PostgreSQL's own). The value
    # travels beside the statement (run_bound), never inside its text.
    param_style: ClassVar[str] = "qmark"
    # The cost preview: EXPLAIN without ANALYZE ({sql} is the guarded query) and its reader
    # (olympus.connectors.plans); None: this engine gives no plan before running.
    explain_sql: ClassVar[str | None] = None
    plan_reader: ClassVar["PlanReader | None"] = None
    price_per_tib_usd: ClassVar[float | None] = None  # list price of a scanned TiB, where billed
    # (table, column) rows: each index's leading column, for the hints (None: unknown)
    indexes_sql: ClassVar[str | None] = None

    def __init__(self, params: Mapping[str, Any] | None = None, *, pool_size: int = 2,
                 max_overflow: int = 8, connect_timeout: int = 5,
                 statement_timeout_s: float = 30.0,
                 max_result_bytes: int | None = DEFAULT_MAX_RESULT_BYTES,
                 allowed_functions: Iterable[str] = ()) -> None:
        self.params = self.validate(dict(params or {}))
        self.pool_size, self.max_overflow = pool_size, max_overflow
        self.connect_timeout, self.statement_timeout_s = connect_timeout, statement_timeout_s
        self.max_result_bytes = max_result_bytes  # a result stops growing here while fetching
        self.allowed_functions = frozenset(f.strip().lower() for f in allowed_functions if f.strip())
        self.functions = LearnedFunctions(self)
        self._policy: SQLPolicy | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    # ---- parameters -------------------------------------------------------------------------
    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in cls.fields if f.secret)

    @classmethod
    def validate(cls, params: dict[str, Any]) -> dict[str, Any]:
        """The one validation path (UI and CLI): defaults, int coercion, every missing required
        field named at once; errors carry the field names at fault."""
        known = {f.name: f for f in cls.fields}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ConfigError(f"Unknown setting(s) for {cls.label}: {', '.join(unknown)}."
                              f"{_did_you_mean(unknown, known)}",
                              suggestion=f"Valid settings: {', '.join(known)}.",
                              fields=tuple(unknown))
        out = {k: v for k, v in params.items() if v not in (None, "")}
        for f in cls.fields:
            if f.name not in out and f.default is not None:
                out[f.name] = f.default
            if f.type == "int" and f.name in out:
                try:
                    out[f.name] = int(out[f.name])
                except (TypeError, ValueError):
                    raise ConfigError(f"{f.label} must be a whole number.",
                                      fields=(f.name,)) from None
        missing = cls.missing_required(out)
        if missing:
            labels = [cls.missing_labels.get(m) or (known[m].label if m in known else m)
                      for m in missing]
            raise ConfigError(f"Missing required setting(s): {', '.join(labels)}.",
                              suggestion="Fill in every required field.", fields=tuple(missing),
                              missing=True)
        return out

    @classmethod
    def missing_required(cls, params: Mapping[str, Any]) -> list[str]:
        """Names of required fields without a value (a subclass may make them conditional)."""
        return [f.name for f in cls.fields if f.required and f.name not in params]

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(str(self.params[k]) for k in self.secret_fields() if self.params.get(k))

    def fingerprint(self) -> str:
        """Stable hash of all parameters (secrets included, hashed) for cache keys."""
        blob = json.dumps(self.params, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self.secret_fields() else v) for k, v in self.params.items()}
        return f"{type(self).__name__}({shown})"

    # ---- engine -----------------------------------------------------------------------------
    def url(self) -> Any:
        """The SQLAlchemy URL (str or URL) for this connection."""
        raise NotImplementedError

    def engine_options(self) -> dict[str, Any]:
        """`create_engine` keyword arguments; subclasses add connect_args or swap the pool."""
        return {"pool_size": self.pool_size, "max_overflow": self.max_overflow}

    @property
    def engine(self) -> "Engine":
        """Lazily build one pooled engine per connector instance."""
        with self._lock:
            if self._engine is None:
                from sqlalchemy import create_engine

                try:
                    engine = create_engine(self.url(), **self.engine_options())
                except Exception as exc:  # bad URL, missing driver
                    raise self.map_error(exc) from None
                ping_when_idle(engine)
                self._engine = engine
            return self._engine

    def dispose(self) -> None:
        """Close pooled connections; called when a cached connector is released."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def prepare(self, *, limit: int | None = None) -> None:
        """Import the heavy modules a query will need, so its elapsed time is the query's own
        (limit: the row limit it will run with, where that picks the driver)."""
        from importlib import import_module

        for name in ("pyarrow", *self.driver_modules):
            import_module(name)

    # ---- SQL policy -------------------------------------------------------------------------
    def policy(self) -> SQLPolicy:
        """The class's policy, plus what this database says about its functions and what an
        admin allowed for this connection."""
        learned = self.functions.get()
        cached = self._policy
        if cached is not None and cached.learned is learned:  # one object while nothing changed:
            return cached  # the guard remembers what passed against it
        self._policy = replace(self.sql_policy, learned=learned,
                               admin_allowed=self.allowed_functions)
        return self._policy

    def learn_functions(self, cursor: Any) -> dict[str, str | None]:
        """Every callable the database has, mapped to why it may not run (None = safe)."""
        if self.functions_sql is None:
            return {}
        cursor.execute(self.functions_sql)
        return rows_to_learned(cursor.fetchall())

    def map_error(self, exc: BaseException, sql: str | None = None):
        return map_error(exc, (*NETWORK_RULES, *self.error_rules, *COMMON_RULES), sql=sql,
                         secrets=self.secrets)

    # ---- the one session path ------------------------------------------------------------------
    @contextmanager
    def session(self, timeout_s: float, *, sql: str | None = None,
                purpose: str = "meta") -> Iterator[Any]:
        """Connect, make the session read-only with a timeout, yield a DBAPI cursor, always roll
        back; every driver error leaves as a mapped OlympusError. purpose: "meta" or "query"."""
        try:
            with self.connection(purpose) as conn:
                cursor = conn.cursor()
                undo: Undo = None
                try:
                    undo = self.begin_readonly(cursor, timeout_s)
                    yield cursor
                finally:
                    if undo is not None:
                        undo()
                    _close(cursor)
                    self.end_readonly(conn)
        except OlympusError as exc:
            if sql and exc.sql is None:
                exc.sql = sql
            raise
        except Exception as exc:
            raise self.map_error(exc, sql) from None

    @contextmanager
    def connection(self, purpose: str) -> Iterator[Any]:
        """A DBAPI connection from this connector's pool (hook: ADBC, embedded engines...)."""
        conn = self.engine.raw_connection()
        try:
            yield conn
        finally:
            conn.close()

    def begin_readonly(self, cursor: Any, timeout_s: float) -> Undo:
        """Make the session read-only with a statement timeout; the hook most databases override.
        May return a callable that undoes session state (a timer, a progress handler)."""
        return None

    def end_readonly(self, conn: Any) -> None:
        """Always roll back, so nothing a query did can persist."""
        try:
            conn.rollback()
        except Exception:  # connection already broken; the pool must not hand it out again
            invalidate = getattr(conn, "invalidate", None)
            if invalidate is not None:
                invalidate()

    # ---- test -------------------------------------------------------------------------------
    def test(self) -> TestResult:
        """Connect, read the server version and current database, and time it."""
        start = time.perf_counter()
        try:
            version, database, risky = self.server_report()
        except Exception as exc:  # every failure becomes a mapped error
            return TestResult(False, (time.perf_counter() - start) * 1000, error=self.map_error(exc))
        return TestResult(True, (time.perf_counter() - start) * 1000, version, database,
                          risky=risky)

    def server_report(self) -> tuple[str | None, str | None, tuple[str, ...] | None]:
        """Version, database and privilege findings, read in the same read-only session."""
        if not self.privileges_in_session:
            return (*self.server_info(), self.privileges(None))
        with self.session(self.statement_timeout_s) as cursor:
            version, database = self.read_server_info(cursor)
            try:
                risky = self.privileges(cursor)
            except Exception:  # can't tell is not a failed test (a missing view, an emulator)
                risky = None
            return version, database, risky

    def server_info(self) -> tuple[str | None, str | None]:
        with self.session(self.statement_timeout_s) as cursor:
            return self.read_server_info(cursor)

    def read_server_info(self, cursor: Any) -> tuple[str | None, str | None]:
        cursor.execute(self.version_query)
        version = cursor.fetchone()[0]
        return self.clean_version(str(version)), self.current_database(cursor)

    def privileges(self, cursor: Any) -> tuple[str, ...] | None:
        """What these credentials may do beyond reading, in words ("superuser", "INSERT on
        public.orders"); () when nothing, None when this database can't tell."""
        return None

    def clean_version(self, raw: str) -> str:
        return raw.split(" on ")[0].strip()

    def current_database(self, cursor: Any) -> str | None:
        cursor.execute(self.database_query)
        row = cursor.fetchone()
        return None if row is None else row[0]

    # ---- catalog ----------------------------------------------------------------------------
    def read_catalog(self, *, include: Iterable[str] | None = None,
                     exclude: Iterable[str] | None = None,
                     progress: Progress | None = None) -> list:
        """All visible tables in a few bulk queries, in one read-only session (see catalog_rows)."""
        report = progress or _quiet

        def keep(schema: str) -> bool:
            return self.keep_schema(schema, include, exclude)

        with paused_gc(), self.session(self.statement_timeout_s * self.catalog_timeout_factor) \
                as cursor:  # 100k+ row tuples arriving would trigger full collections
            tables, columns, keys = self.catalog_rows(cursor, report, keep)
            self.functions.refresh(cursor)
        report("Done", 1.0)
        return assemble([t for t in tables if keep(t[1])], columns, keys)

    def catalog_rows(self, cursor: Any, report: Progress, keep: Keep) -> tuple[list, list, list]:
        """(tables, columns, keys) rows as olympus.connectors._catalog.assemble documents them."""
        raise NotImplementedError

    def keep_schema(self, schema: str, include: Iterable[str] | None,
                    exclude: Iterable[str] | None) -> bool:
        """Schema filter shared by every catalog reader (system schemas always dropped)."""
        from fnmatch import fnmatch

        if str(schema).lower() in self.system_schemas:
            return False
        if include and not any(fnmatch(schema, p) for p in include):
            return False
        return not (exclude and any(fnmatch(schema, p) for p in exclude))

    # ---- read-only execution ----------------------------------------------------------------
    def fetch(self, sql: str, *, limit: int | None, timeout_s: float,
              handle: Any = None, params: list | None = None) -> Fetched:
        """Run already-guarded SQL in a read-only, time-limited session; rows as Arrow. With a
        runner.QueryHandle, cancel() stops the statement on the server (QueryCancelled).
        `params`: values for the statement's placeholders (bind_sql), bound by the driver."""
        purpose = self.query_purpose(sql, limit) if params is None else self.bound_purpose
        try:
            with self.session(timeout_s, sql=sql, purpose=purpose) as cursor:
                if handle is None:
                    return self._dispatch(cursor, sql, params, limit, timeout_s)
                with handle.running(self.canceller(cursor)):
                    fetched = self._dispatch(cursor, sql, params, limit, timeout_s)
        except Exception:
            if handle is not None and handle.cancelled:  # whatever the driver said about it
                handle.check(sql)
            raise
        handle.check(sql)  # stopped too late to fail: the result is still not wanted
        return fetched

    def estimate(self, sql: str, *, timeout_s: float) -> "Plan":
        """What the planner expects of a query, before it runs: the guard, then EXPLAIN (never
        ANALYZE) of the guarded statement in the same read-only session as a query."""
        from olympus.connectors.plans import Plan, with_tables
        from olympus.guard import check_sql

        if self.explain_sql is None or self.plan_reader is None:
            return Plan()
        clean = check_sql(sql, self.dialect, policy=self.policy())
        fetched = self.fetch(self.explain_sql.format(sql=clean), limit=10_000,
                             timeout_s=timeout_s)
        rows = list(zip(*(c.to_pylist() for c in fetched.table.columns)))
        return with_tables(type(self).plan_reader(rows), clean, self.dialect)

    def _dispatch(self, cursor: Any, sql: str, params: list | None, limit: int | None,
                  timeout_s: float) -> Fetched:
        if params is None:
            return self.run(cursor, sql, limit=limit, timeout_s=timeout_s)
        return self.run_bound(cursor, sql, params, limit=limit, timeout_s=timeout_s)

    # ---- bound parameters ---------------------------------------------------------------------
    bound_purpose: ClassVar[str] = "query"  # the session a statement with parameters runs in

    @classmethod
    def bind_sql(cls, sql: str, values: Mapping[str, Any]) -> tuple[str, list]:
        """`{{name}}` markers -> this driver's placeholders (param_style), and the values in
        placeholder order; markers inside string literals and comments stay text."""
        from olympus.notebooks.params import bind_markers

        return bind_markers(sql, values, dialect=cls.dialect, style=cls.param_style)

    def run_bound(self, cursor: Any, sql: str, params: list, *, limit: int | None,
                  timeout_s: float) -> Fetched:
        """run() with bound parameters (hook: drivers with their own result path)."""
        self.bind(cursor, sql, params, timeout_s)
        return self.read(cursor, limit)

    def bind(self, cursor: Any, sql: str, params: list, timeout_s: float) -> None:
        """execute() with the values handed to the driver's own parameter binding."""
        cursor.execute(sql, self.driver_values(params))

    def driver_values(self, params: list) -> list:
        """Values as this driver binds them (hook: SQLite has no date type)."""
        return list(params)

    def indexed_columns(self, *, timeout_s: float) -> dict[str, frozenset[str]]:
        """table (lower case) -> the columns an index starts with; {} where unknown. Kept for a
        minute: the preview asks before every query."""
        if self.indexes_sql is None:
            return {}
        import time

        seen = getattr(self, "_indexes_seen", None)
        if seen is not None and time.monotonic() - seen[0] < 60:
            return seen[1]
        with self.session(timeout_s, purpose="meta") as cursor:
            cursor.execute(self.indexes_sql)
            rows = cursor.fetchall()
        out: dict[str, set[str]] = {}
        for table, column in rows:
            out.setdefault(str(table).lower(), set()).add(str(column).lower())
        found = {t: frozenset(c) for t, c in out.items()}
        self._indexes_seen = (time.monotonic(), found)
        return found

    def partition_columns(self, tables: Iterable[str], *, timeout_s: float) -> dict[str, str]:
        """table -> the column it is partitioned on, where scanning all partitions costs."""
        return {}

    def canceller(self, cursor: Any) -> Callable[[], None] | None:
        """How another thread stops the statement running on this session's cursor (hook:
        server-side cancel, KILL QUERY, interrupt); None: the result is only discarded."""
        return None

    def query_purpose(self, sql: str, limit: int | None = None) -> str:
        """Which connection a guarded statement needs: "query" (the result path) by default."""
        return "query"

    def run(self, cursor: Any, sql: str, *, limit: int | None, timeout_s: float) -> Fetched:
        """Execute and read inside a session; a hook for drivers with their own result path."""
        self.execute(cursor, sql, timeout_s)
        return self.read(cursor, limit)

    def execute(self, cursor: Any, sql: str, timeout_s: float) -> None:
        """Execute on the raw DBAPI cursor (single statement, no parameter interpolation)."""
        cursor.execute(sql)

    def read(self, cursor: Any, limit: int | None) -> Fetched:
        """limit + 1 rows (to know about truncation) within the byte cap, as Arrow."""
        rows, cut = fetch_rows(cursor, limit=limit, max_bytes=self.max_result_bytes)
        description = cursor.description or ()
        rows = rows[:limit] if limit is not None else rows
        names = [d[0] for d in description]
        return Fetched(rows_to_arrow(names, rows), cut is not None,
                       tuple(self.describe_type(d[1]) for d in description), cut)

    def describe_type(self, type_code: Any) -> str:
        return str(type_code) if type_code is not None else ""


def _close(cursor: Any) -> None:
    """Close a cursor if the driver lets us (some have already closed it with the connection)."""
    try:
        cursor.close()
    except Exception:  # closing is best effort: the connection is rolled back or dropped next
        pass


IDLE_PING_S = 1.0  # a pooled connection unused this long is pinged before it is handed out


def ping_when_idle(engine: "Engine") -> None:
    """Pessimistic disconnect handling for connections that sat idle (a restarted server, a
    firewall's timeout), without pre-ping's extra round trip on back-to-back queries (a notebook
    run, a schedule): SQLAlchemy's documented checkout-event recipe."""
    from sqlalchemy import event, exc

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["olympus_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        since = record.info.get("olympus_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if alive is False:  # the pool replaces it with a new connection (up to three tries)
            raise exc.DisconnectionError("pooled connection is gone")
