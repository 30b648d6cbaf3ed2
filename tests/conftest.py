"""Shared fixtures: real services started once per test session."""

from __future__ import annotations

import logging
import time
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import services
from tests.services import STARTUP_SECONDS, start_postgres, unavailable


# Files that never exist, named by tests of untested saves and wrong keys (an entry may be a file)
STAND_IN_FILES = ("/x", "/x.duckdb", "/nowhere.duckdb", "/nonexistent.duckdb", "/nonexistent")


def pytest_configure(config):
    """File connections open only files under OLYMPUS_DATA_DIR: the suite's files live under the
    temp root (pytest's tmp_path), the repository and the home directory (plus what is set)."""
    roots = [tempfile.gettempdir(), str(Path(__file__).resolve().parents[1]), str(Path.home()),
             *STAND_IN_FILES]
    if config.option.basetemp:
        roots.append(str(Path(config.option.basetemp).resolve()))
    given = os.environ.get("OLYMPUS_DATA_DIR")
    os.environ["OLYMPUS_DATA_DIR"] = os.pathsep.join([*([given] if given else []), *roots])


@pytest.fixture(autouse=True)
def _release_cached_resources():
    """After each test, Streamlit's process-wide resource cache lets go of what its AppTests
    built (stores, pools, DuckDB workers, health monitors; on_release disposes each). Every test
    has a home of its own, so nothing is shared; held for the rest of the run, their connections
    and pipes took the process past 1,024 file descriptors (select() then fails)."""
    yield
    import sys

    st = sys.modules.get("streamlit")
    if st is not None:
        st.cache_resource.clear()


def _timed(name: str, started: float) -> None:
    STARTUP_SECONDS[name] = time.monotonic() - started


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url():
    """Admin URL of a real PostgreSQL for the whole session."""
    started = time.monotonic()
    server = None
    try:
        url, server = start_postgres()
        services.check_postgres(url)
    except Exception as exc:  # pragma: no cover - depends on the machine
        if server is not None:
            server.cleanup()
        unavailable("PostgreSQL", repr(exc))
    _timed("postgresql", started)
    yield url
    if server is not None:
        server.cleanup()


@pytest.fixture()
def pg_url(pg_server_url):
    """A fresh, empty database per test (libpq-style URL), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_sqlalchemy(pg_server_url), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _with_database(pg_server_url, name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sqlalchemy(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


# --- Snowflake (fakesnow server: the real connector over real HTTP) -------------------------


@pytest.fixture(scope="session")
def snowflake_server():
    """Connect kwargs (user, password, account, host, port, protocol, ...) for snowflake.connector.connect."""
    started = time.monotonic()
    context = services.snowflake_server()
    try:
        kwargs = context.__enter__()
    except Exception as exc:  # pragma: no cover - depends on the machine
        unavailable("Snowflake (fakesnow server)", repr(exc))
    for name in ("uvicorn.access", "uvicorn.error"):  # one line per request otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    _timed("snowflake (fakesnow)", started)
    yield kwargs
    context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def snowflake_sqlalchemy(snowflake_server):
    """(url, connect_args) for create_engine on snowflake://fake:snow@fakesnow/DB1/PUBLIC."""
    return services.snowflake_sqlalchemy(snowflake_server)


@pytest.fixture()
def snowflake_db(snowflake_server):
    """(url, connect_args) for a fresh database of its own per test (fakesnow databases auto-create).

    fakesnow has no DROP DATABASE, so teardown drops the database's PUBLIC schema and its tables.
    """
    name = f"T_{uuid.uuid4().hex[:12].upper()}"
    url, connect_args = services.snowflake_sqlalchemy(snowflake_server, database=name)
    yield url, connect_args
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name}.PUBLIC CASCADE"))
    finally:
        engine.dispose()


# --- BigQuery (bqemulator REST in a subprocess) ---------------------------------------------


@pytest.fixture(scope="session")
def bigquery_server():
    """(project, rest_endpoint_url), e.g. ("demo", "http://127.0.0.1:41033")."""
    started = time.monotonic()
    given = services.bigquery_endpoint_from_env()
    if given:
        try:
            services.wait_for_http(f"{given[1]}/readyz", timeout=15)
        except Exception as exc:
            unavailable("BigQuery emulator ($OLYMPUS_TEST_BQ_ENDPOINT)", repr(exc))
        _timed("bigquery (external)", started)
        yield given
        return
    emulator = services.BigQueryEmulator(project="demo")
    try:
        services.ensure_duckdb_spatial()
        emulator.start(timeout=60)
    except Exception as exc:
        emulator.stop()
        unavailable("BigQuery emulator (bqemulator)", repr(exc))
    _timed("bigquery (bqemulator)", started)
    yield emulator.project, emulator.endpoint
    emulator.stop()


@pytest.fixture(scope="session")
def bigquery_client(bigquery_server):
    """A google.cloud.bigquery.Client on the emulator (AnonymousCredentials, api_endpoint override)."""
    client = services.bigquery_client(*bigquery_server)
    yield client
    client.close()


@pytest.fixture()
def bigquery_dataset(bigquery_client):
    """Name of a fresh, empty dataset per test; deleted with its tables afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    bigquery_client.create_dataset(name)
    yield name
    bigquery_client.delete_dataset(name, delete_contents=True, not_found_ok=True)


# --- MySQL / MariaDB (Debian mariadbd in a temp datadir) ------------------------------------


@pytest.fixture(scope="session")
def mysql_server():
    """A tests.services.MySQLService: admin URL, a session database and a SELECT-only reader
    whose password is PW_SECRET (so leak checks mean something)."""
    started = time.monotonic()
    try:
        service, server = services.start_mariadb(PW_SECRET)
    except Exception as exc:  # pragma: no cover - depends on the machine
        unavailable("MySQL/MariaDB", repr(exc))
    _timed("mariadb", started)
    yield service
    if server is not None:
        server.stop()


# --- A real browser: Debian Chromium through Playwright -------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """A fresh store on SQLite and on a real PostgreSQL database."""
    from olympus.crypto import generate_key
    from olympus.store import Store
    from tests.store_helpers import make_settings

    settings = make_settings(tmp_path, keys=(generate_key(),))
    url = settings.store_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = Store(url, settings=settings)
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis (Debian redis-server on a free port) for the session."""
    from tests.services import start_redis, unavailable

    try:
        url, server = start_redis()
    except Exception as exc:
        unavailable("Redis", repr(exc))
    yield url
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ (or $OLYMPUS_TEST_ARTIFACTS): screenshots and other outputs worth keeping."""
    return services.artifacts_dir()


@pytest.fixture(scope="module")
def browser():
    """A playwright.sync_api.Browser: headless /usr/bin/chromium, no network extras.

    Playwright's launch() gives Chromium a brand-new temporary profile (user-data dir) and
    deletes it on close; every `page` also gets its own incognito-like context.
    Module-scoped on purpose: while Playwright's sync API is alive its event loop counts as
    running, so asyncio.run() elsewhere would fail; keep browser tests in their own modules.
    """
    started = time.monotonic()
    try:
        executable = services.chromium_executable()
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
    except Exception as exc:
        unavailable("Chromium", repr(exc))
    try:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, timeout=30_000,
            args=list(services.CHROMIUM_FLAGS),
        )
    except Exception as exc:
        playwright.stop()
        unavailable("Chromium", repr(exc))
    _timed("chromium", started)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="module")
def chromium(browser):
    """Alias of `browser`."""
    return browser


@pytest.fixture()
def page(browser, artifacts_dir, request):
    """A fresh context + page per test (1280x900); on failure a screenshot lands in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            new_page.screenshot(path=str(artifacts_dir / f"FAILED-{_slug(request.node.nodeid)}.png"),
                                full_page=True)
        except Exception:  # the page may be what broke
            pass
    context.close()


def _slug(nodeid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in nodeid)[-120:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can react to a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter finalisation once pytest is done (summary and reports written,
    services stopped by their fixtures), with pytest's own exit status. The app under test runs
    daemon threads in this process (health checks, query jobs); one still inside DuckDB's C++
    code when Python finalises is stopped there, and the process aborts ("terminate called
    without an active exception", status 134) after every test passed. OLYMPUS_TEST_FINALIZE=1
    keeps the normal exit."""
    if _EXIT_STATUS and os.environ.get("OLYMPUS_TEST_FINALIZE") != "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


def pytest_terminal_summary(terminalreporter):
    """Say how long each real service took to start: slow start-up is a bug worth seeing."""
    if STARTUP_SECONDS:
        timings = ", ".join(f"{name} {secs:.1f}s" for name, secs in STARTUP_SECONDS.items())
        terminalreporter.write_line(f"service start-up: {timings}")


PW_ROLE = "olympus_pw"
PW_SECRET = "Sup3r-Secret-Pw-42"  # a password that must never show up in any text we produce


@pytest.fixture(scope="session")
def pg_password_role(pg_server_url):
    """A role that must log in with a password (scram) on the shared server; restored afterwards."""
    admin = create_engine(_sqlalchemy(pg_server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        hba = conn.execute(text("SHOW hba_file")).scalar()
        if not hba or not os.path.isfile(hba):
            admin.dispose()
            unavailable("PostgreSQL pg_hba.conf", "server is not local; cannot require a password")
        conn.execute(text(f"DROP ROLE IF EXISTS {PW_ROLE}"))
        conn.execute(text(f"CREATE ROLE {PW_ROLE} LOGIN SUPERUSER PASSWORD '{PW_SECRET}'"))
        original = open(hba).read()
        rules = "".join(f"{kind} all {PW_ROLE} {addr} scram-sha-256\n" for kind, addr in
                        (("local", ""), ("host", "127.0.0.1/32"), ("host", "::1/128")))
        with open(hba, "w") as out:
            out.write(rules + original)
        conn.execute(text("SELECT pg_reload_conf()"))
    yield PW_ROLE
    with open(hba, "w") as out:
        out.write(original)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


@pytest.fixture(scope="session")
def learned(pg_server_url, tmp_path_factory):
    """dialect -> SQLPolicy with the functions real engines report (see tests/policies.py)."""
    from tests.policies import learned_policies

    return learned_policies(pg_server_url, tmp_path_factory.mktemp("policies"))
