"""Store tables, versioned migrations and engine setup (SQLite: private file, WAL, busy timeout)."""

from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from olympus.errors import ConfigError

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

# `owner` is an opaque scope id (today a user, later a space); memberships map users to owners.
connections = sa.Table(
    "connections", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(50), nullable=False),
    sa.Column("params_json", sa.Text, nullable=False),  # non-secret parameters only
    sa.Column("secret_fields_json", sa.Text, nullable=False),  # names of secrets that are set
    sa.Column("secrets_encrypted", sa.Text),  # Fernet token of the JSON of the secret fields
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("last_tested_at", TS),
    sa.Column("last_test_status", sa.String(20)),
    sa.Column("last_test_json", sa.Text),
    sa.Column("last_used", TS),
    sa.Column("schema_json", sa.Text),
    sa.Column("introspected_at", TS),
    sa.Column("table_count", sa.Integer),
    sa.Column("expose_data_to_llm", sa.Boolean, nullable=False),
    # refuse credentials whose last test found write / server-program privileges
    sa.Column("require_read_only_role", sa.Boolean, nullable=False, server_default=sa.false()),
    # functions an admin allowed for this connection beyond what the guard knows to be safe
    sa.Column("allowed_functions_json", sa.Text),
    # declared in secrets.toml: not editable in the app, secrets never stored here
    sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
    # v7: result-cache lifetime in seconds (None: the default, 600; 0: never cache)
    sa.Column("cache_ttl_s", sa.Integer),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner", "name", name="uq_connections_owner_name"),
)
query_log = sa.Table(
    "query_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("connection_id", sa.String(36)),
    sa.Column("question", sa.Text),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("row_count", sa.Integer),
    sa.Column("elapsed_ms", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    # v7: who ran it, from where, how big, whether the cache answered, what it read (lineage)
    sa.Column("user", sa.String(320)),
    sa.Column("source", sa.String(20)),  # sql | ask | notebook | schedule | mcp | cli
    sa.Column("bytes", sa.BigInteger),  # result bytes (Arrow)
    sa.Column("scanned_bytes", sa.BigInteger),  # bytes billed/scanned where the engine says
    sa.Column("cached", sa.Boolean),
    sa.Column("reads_json", sa.Text),  # ["loans.principal", ...] from sqlglot
    sa.Index("ix_query_log_owner_created", "owner", "created_at"),
)
# One-time facts per owner, e.g. "demo_offered": the demo is created on the real first start only.
owner_flags = sa.Table(
    "owner_flags", metadata,
    sa.Column("owner", sa.String(200), primary_key=True),
    sa.Column("flag", sa.String(50), primary_key=True),
    sa.Column("set_at", TS, nullable=False),
)
# ---- teams: a space is the `owner` scope above; members have a role in it --------------------
spaces = sa.Table(
    "spaces", metadata,
    sa.Column("id", sa.String(200), primary_key=True),  # the owner key of its connections
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
)
members = sa.Table(
    "members", metadata,
    sa.Column("space_id", sa.String(200), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),  # lower-case
    sa.Column("role", sa.String(20), nullable=False),  # viewer | editor | admin
    sa.Column("added_at", TS, nullable=False),
    sa.Index("ix_members_email", "email"),
)
# A connection with grants is visible only to the named members and roles (admins always).
grants = sa.Table(
    "grants", metadata,
    sa.Column("connection_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True),  # user | role
    sa.Column("value", sa.String(320), primary_key=True),
)
# Append-only: who did what, where, with which result (the app never updates or deletes rows).
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("user", sa.String(320), nullable=False),
    sa.Column("space", sa.String(200)),
    sa.Column("connection_id", sa.String(36)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("sql", sa.Text),
    sa.Column("question", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("rows", sa.Integer),
    sa.Column("bytes", sa.BigInteger),
    sa.Column("elapsed_ms", sa.Float),
    sa.Column("detail", sa.Text),
    sa.Index("ix_audit_space_at", "space", "at"),
)
# Fixed one-minute windows per limit key, shared by every replica and CLI process.
rate_counts = sa.Table(
    "rate_counts", metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("window", sa.BigInteger, primary_key=True),  # epoch seconds // window length
    sa.Column("count", sa.Integer, nullable=False),
)
schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", TS, nullable=False),
)


def _v1_create(conn: sa.Connection) -> None:
    metadata.create_all(conn)


def _v2_owner_flags(conn: sa.Connection) -> None:
    """Add owner_flags; owners with connections or queries already had their first start."""
    owner_flags.create(conn, checkfirst=True)
    owners = sorted(set(conn.execute(sa.select(connections.c.owner)).scalars())
                    | set(conn.execute(sa.select(query_log.c.owner)).scalars()))
    if owners:
        conn.execute(owner_flags.insert(), [{"owner": o, "flag": "demo_offered", "set_at": now()}
                                            for o in owners])


def _v3_require_read_only_role(conn: sa.Connection) -> None:
    """Add connections.require_read_only_role (off for existing connections)."""
    column = connections.c.require_read_only_role
    if column.name in {c["name"] for c in sa.inspect(conn).get_columns("connections")}:
        return  # a store created at v3 and stamped older (tests, a restore)
    conn.execute(sa.text(f"ALTER TABLE connections ADD COLUMN {column.name} BOOLEAN NOT NULL "
                         f"DEFAULT {'false' if conn.dialect.name == 'postgresql' else '0'}"))


def _v4_allowed_functions(conn: sa.Connection) -> None:
    """Add connections.allowed_functions_json (none allowed for existing connections)."""
    if "allowed_functions_json" in {c["name"] for c in sa.inspect(conn).get_columns("connections")}:
        return
    conn.execute(sa.text("ALTER TABLE connections ADD COLUMN allowed_functions_json TEXT"))


def _v5_teams(conn: sa.Connection) -> None:
    """Spaces, members, grants, the audit log and shared rate counters; every existing owner
    becomes a space of the same id (its local user stays its admin through the settings)."""
    for table in (spaces, members, grants, audit_log, rate_counts):
        table.create(conn, checkfirst=True)
    owners = sorted(set(conn.execute(sa.select(connections.c.owner)).scalars()))
    if owners:
        conn.execute(spaces.insert(), [{"id": o, "name": o, "created_at": now()} for o in owners])


def _v6_managed(conn: sa.Connection) -> None:
    """Add connections.managed (existing connections are the users' own)."""
    if "managed" in {c["name"] for c in sa.inspect(conn).get_columns("connections")}:
        return
    conn.execute(sa.text("ALTER TABLE connections ADD COLUMN managed BOOLEAN NOT NULL DEFAULT "
                         + ("false" if conn.dialect.name == "postgresql" else "0")))


_QUERY_LOG_V7 = {"user": "VARCHAR(320)", "source": "VARCHAR(20)", "bytes": "BIGINT",
                 "scanned_bytes": "BIGINT", "cached": "BOOLEAN", "reads_json": "TEXT"}


def _v7_query_log(conn: sa.Connection) -> None:
    """Add the query log's user, source, sizes, cache flag and lineage (unknown for old rows),
    and connections.cache_ttl_s (the default lifetime)."""
    if "cache_ttl_s" not in {c["name"] for c in sa.inspect(conn).get_columns("connections")}:
        conn.execute(sa.text("ALTER TABLE connections ADD COLUMN cache_ttl_s INTEGER"))
    have = {c["name"] for c in sa.inspect(conn).get_columns("query_log")}
    for name, kind in _QUERY_LOG_V7.items():
        if name not in have:
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"ALTER TABLE query_log ADD COLUMN {quoted} {kind}"))


def _package_tables(module: str):
    """A migration that creates the tables a feature package declares (module.migrate)."""
    def run(conn: sa.Connection) -> None:
        importlib.import_module(module).migrate(conn)
    run.__doc__ = f"Create the tables of {module}."
    return run


# Feature packages own their tables (each module's TABLES on `metadata`), imported before a new
# store is created so `metadata.create_all` knows them.
TABLE_MODULES = ("olympus.notebooks.tables", "olympus.semantic.tables", "olympus.ops.tables")

# Ordered: MIGRATIONS[i] brings a store to version i + 1. A new store is created from `metadata`
# (always the newest shape) and stamped with the newest version; older stores run what they lack.
MIGRATIONS: list = [_v1_create, _v2_owner_flags, _v3_require_read_only_role,
                    _v4_allowed_functions, _v5_teams, _v6_managed, _v7_query_log,
                    *(_package_tables(m) for m in TABLE_MODULES)]  # v8 notebooks, v9, v10


def migrate(engine: sa.Engine) -> None:
    """Create a new store at the newest version, or run the migrations an older one lacks."""
    latest = len(MIGRATIONS)
    for module in TABLE_MODULES:
        importlib.import_module(module)
    with engine.connect() as conn:
        if version(conn) == latest:
            return
    with write(engine) as conn:
        if conn.dialect.name == "postgresql":  # several replicas may start at once
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7301955)"))
        current = version(conn)
        if current > latest:
            raise ConfigError(f"This store has schema version {current}; this Olympus knows "
                              f"up to {latest}.", suggestion="Upgrade Olympus.")
        if current == 0:
            metadata.create_all(conn)
            conn.execute(schema_version.insert().values(version=latest, applied_at=now()))
            return
        for number in range(current + 1, latest + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(schema_version.insert().values(version=number, applied_at=now()))


def version(conn) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


@contextmanager
def write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
    with engine.connect() as conn:
        conn.execution_options(olympus_write=True)
        with conn.begin():
            yield conn


def now() -> datetime:
    return datetime.now(timezone.utc)


# ---- engine -------------------------------------------------------------------------------------
def make_engine(url: str) -> sa.Engine:
    """SQLite: private file, WAL, busy timeout, BEGIN IMMEDIATE for writes. Others: pooled."""
    parsed = sa.make_url(str(url).replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=8)
    if parsed.database and parsed.database != ":memory:":
        _private_file(Path(parsed.database).expanduser())
    engine = sa.create_engine(parsed, connect_args={"timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _private_file(path: Path) -> None:
    """Create the store file (and its directory) readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # WAL/SHM inherit this mode


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_conn.cursor()
    for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL",
                   "foreign_keys = ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("olympus_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")
