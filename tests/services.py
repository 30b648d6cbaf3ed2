"""Real services for tests: started locally (offline), or taken from env vars; CI never skips."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
# Seconds each service took to become usable, shown at the end of the run (conftest).
STARTUP_SECONDS: dict[str, float] = {}


def unavailable(what: str, why: str) -> None:
    """Skip locally when a service can't run, but fail under CI=true: nothing skips silently."""
    message = f"{what} unavailable: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service fails the run)")
    pytest.skip(message)


def start_postgres() -> tuple[str, object | None]:
    """A PostgreSQL URL: $OLYMPUS_TEST_PG_URL if set, else a fresh pgserver (PostgreSQL 16)."""
    url = os.environ.get("OLYMPUS_TEST_PG_URL")
    if url:
        return url, None
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="olympus-pg-"), cleanup_mode="stop")
    return server.get_uri(), server


def check_postgres(url: str) -> None:
    """Connect once (5 s timeout) so a wrong $OLYMPUS_TEST_PG_URL is reported as a missing service."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        conn.execute("SELECT 1")


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port (the OS picks it; tiny race window, fine for tests)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, *, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Poll url until it answers 2xx; raise with the last error when the deadline passes."""
    deadline = time.monotonic() + timeout
    last: object = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
                last = f"HTTP {response.status}"
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s: {last}")


def artifacts_dir() -> Path:
    """Where screenshots and other test artifacts go: $OLYMPUS_TEST_ARTIFACTS or ./test-artifacts."""
    path = Path(os.environ.get("OLYMPUS_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- Snowflake (fakesnow server mode: real connector, real HTTP) -----------------------------


@contextlib.contextmanager
def snowflake_server() -> Iterator[dict]:
    """Connect kwargs for a fakesnow server: $OLYMPUS_TEST_SNOWFLAKE_SERVER (host:port) or a new one."""
    external = os.environ.get("OLYMPUS_TEST_SNOWFLAKE_SERVER")
    if external:
        host, _, port = external.rpartition(":")
        kwargs = _fakesnow_kwargs(host or "127.0.0.1", int(port))
        _check_tcp(kwargs["host"], kwargs["port"])
        yield kwargs
        return
    import fakesnow

    with fakesnow.server() as kwargs:
        yield kwargs


def _fakesnow_kwargs(host: str, port: int) -> dict:
    return dict(
        user="fake",
        password="snow",
        account="fakesnow",
        host=host,
        port=port,
        protocol="http",
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        network_timeout=1,
    )


def _check_tcp(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=3):
        pass


def snowflake_sqlalchemy(
    server: dict, *, database: str = "DB1", schema: str = "PUBLIC"
) -> tuple[str, dict]:
    """(url, connect_args) for create_engine against the fakesnow server; databases auto-create."""
    url = f"snowflake://{server['user']}:{server['password']}@{server['account']}/{database}/{schema}"
    connect_args = {k: v for k, v in server.items() if k not in ("user", "password", "account")}
    return url, connect_args


# --- BigQuery (bqemulator REST, in a subprocess) ----------------------------------------------


def ensure_duckdb_spatial() -> str:
    """Install DuckDB's spatial extension from its wheel (bqemulator needs it; no download here)."""
    import duckdb

    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'spatial'"
        ).fetchone()
        if row and row[0]:
            return "already installed"
        import duckdb_extension_spatial

        base = Path(duckdb_extension_spatial.__file__).parent / "extensions"
        wanted = base / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
        found = [wanted] if wanted.exists() else sorted(base.glob("*/spatial.duckdb_extension"))
        if not found:
            raise RuntimeError(f"no spatial.duckdb_extension under {base}")
        con.execute(f"INSTALL '{found[0]}'")
        return f"installed from {found[0]}"
    finally:
        con.close()


class BigQueryEmulator:
    """A bqemulator process on free ports; stop() kills it; log holds its output."""

    def __init__(self, project: str = "demo") -> None:
        self.project = project
        self.rest_port, self.grpc_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.rest_port}"
        self.log = Path(tempfile.mkdtemp(prefix="olympus-bq-")) / "bqemulator.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> None:
        cmd = [sys.executable, "-m", "bqemulator", "start", "--rest-port", str(self.rest_port),
               "--grpc-port", str(self.grpc_port), "--project", self.project, "--log-level", "warning"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_http(f"{self.endpoint}/readyz", timeout=timeout, proc=self.proc)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail: {self.log_tail()}") from exc

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def bigquery_endpoint_from_env() -> tuple[str, str] | None:
    """($OLYMPUS_TEST_BQ_PROJECT or 'demo', $OLYMPUS_TEST_BQ_ENDPOINT) when an emulator is given."""
    endpoint = os.environ.get("OLYMPUS_TEST_BQ_ENDPOINT")
    if not endpoint:
        return None
    return os.environ.get("OLYMPUS_TEST_BQ_PROJECT", "demo"), endpoint.rstrip("/")


def bigquery_client(project: str, endpoint: str):
    """A real google-cloud-bigquery Client talking to the emulator, anonymous credentials."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(project=project, credentials=AnonymousCredentials(),
                           client_options=ClientOptions(api_endpoint=endpoint))


# --- Chromium (Debian package, driven by Playwright) ------------------------------------------


def chromium_executable() -> str:
    """$OLYMPUS_TEST_CHROMIUM or /usr/bin/chromium; raises when it isn't there."""
    path = os.environ.get("OLYMPUS_TEST_CHROMIUM") or "/usr/bin/chromium"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"{path} missing (apt-get install -y chromium, or run scripts/test.sh)")
    return path


# --- MySQL / MariaDB (Debian mariadb-server, as this user in a temp datadir) ------------------

MYSQL_ADMIN = "olympus_admin"
MYSQL_READER = "olympus_ro"  # least privilege: SELECT on the test databases only


@dataclass(frozen=True)
class MySQLService:
    """A MySQL-protocol server: an admin URL (creates databases, users, grants) and a reader."""

    admin_url: str  # mysql+pymysql://admin:pw@host:port/
    host: str
    port: int
    reader: str
    reader_password: str
    database: str  # created for the session; the reader may SELECT in it


class MariaDB:
    """mariadbd in a temp datadir on a free port; stop() ends it by pid and removes the dir."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="olympus-mariadb-"))
        self.port = free_port()
        self.socket = str(self.dir / "sock")
        self.log = self.dir / "mariadbd.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> None:
        server, install = _mariadb_binaries()
        user = ["--user=root"] if os.geteuid() == 0 else []
        done = subprocess.run([install, "--no-defaults", f"--datadir={self.dir / 'data'}", *user,
                               "--auth-root-authentication-method=normal", "--skip-test-db"],
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if done.returncode:
            raise RuntimeError(f"mariadb-install-db failed: {(done.stdout + done.stderr)[-1500:]}")
        cmd = [server, "--no-defaults", f"--datadir={self.dir / 'data'}", f"--socket={self.socket}",
               f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-name-resolve", *user,
               f"--pid-file={self.dir / 'pid'}", f"--log-error={self.log}",
               "--innodb-buffer-pool-size=64M"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait(timeout)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail: {self.log_tail()}") from exc

    def _wait(self, timeout: float) -> None:
        """Poll the socket until root can log in over it."""
        import pymysql

        deadline, last = time.monotonic() + timeout, "no socket"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited with code {self.proc.returncode}")
            if os.path.exists(self.socket):
                try:
                    pymysql.connect(unix_socket=self.socket, user="root", connect_timeout=2).close()
                    return
                except pymysql.MySQLError as exc:
                    last = repr(exc)
            time.sleep(0.2)
        raise TimeoutError(f"mariadbd not ready after {timeout:.0f}s: {last}")

    def admin_url(self, password: str) -> str:
        """Create a password-protected admin reachable over TCP; its URL."""
        import pymysql

        conn = pymysql.connect(unix_socket=self.socket, user="root", autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE USER '{MYSQL_ADMIN}'@'%' IDENTIFIED BY '{password}'")
            cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{MYSQL_ADMIN}'@'%' WITH GRANT OPTION")
        conn.close()
        return f"mysql+pymysql://{MYSQL_ADMIN}:{password}@127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _mariadb_binaries() -> tuple[str, str]:
    """(mariadbd, mariadb-install-db); Debian keeps mariadbd in /usr/sbin, often off PATH."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    server = shutil.which("mariadbd", path=path) or shutil.which("mysqld", path=path)
    install = shutil.which("mariadb-install-db", path=path)
    if not (server and install):
        raise FileNotFoundError("mariadbd / mariadb-install-db missing (apt-get install -y "
                                "mariadb-server, or run scripts/test.sh)")
    return server, install


def start_mariadb(reader_password: str) -> tuple[MySQLService, MariaDB | None]:
    """$OLYMPUS_TEST_MYSQL_URL (an admin URL) if set, else a fresh MariaDB; then a database and a
    read-only user on it."""
    url = os.environ.get("OLYMPUS_TEST_MYSQL_URL")
    server = None
    if not url:
        server = MariaDB()
        server.start()
        url = server.admin_url(uuid.uuid4().hex)
    try:
        return prepare_mysql(url, reader_password), server
    except Exception:
        if server is not None:
            server.stop()
        raise


def prepare_mysql(admin_url: str, reader_password: str) -> MySQLService:
    """Create the session database and the reader (SELECT on it only)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(admin_url)
    database = f"olympus_{uuid.uuid4().hex[:8]}"
    mysql_admin(admin_url, [
        f"CREATE DATABASE `{database}`",
        f"CREATE USER IF NOT EXISTS '{MYSQL_READER}'@'%' IDENTIFIED BY '{reader_password}'",
        f"ALTER USER '{MYSQL_READER}'@'%' IDENTIFIED BY '{reader_password}'",
        f"GRANT SELECT ON `{database}`.* TO '{MYSQL_READER}'@'%'"])
    return MySQLService(admin_url, parsed.host or "127.0.0.1", parsed.port or 3306, MYSQL_READER,
                        reader_password, database)


def mysql_admin(admin_url: str, statements: list[str], *, database: str | None = None) -> None:
    """Run statements as the admin (autocommit), optionally inside one database."""
    import pymysql
    from sqlalchemy.engine import make_url

    parsed = make_url(admin_url)
    conn = pymysql.connect(host=parsed.host, port=parsed.port or 3306, user=parsed.username,
                           password=parsed.password or "", database=database, autocommit=True,
                           connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    finally:
        conn.close()


# --- Redis (Debian redis-server, a child process on a free port) ------------------------------


class RedisServer:
    """redis-server in the foreground on a free port, no persistence; stop() ends it by pid."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="olympus-redis-"))
        self.port = free_port()
        self.log = self.dir / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 20) -> None:
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
        if not binary:
            raise RuntimeError("redis-server is not installed (scripts/test.sh installs it)")
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.log)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            check_redis(self.url, timeout=timeout, proc=self.proc)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail: {self.log_tail()}") from exc

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def check_redis(url: str, *, timeout: float = 5, proc: subprocess.Popen | None = None) -> None:
    """PING until it answers (a wrong $OLYMPUS_TEST_REDIS_URL is reported as a missing service)."""
    import redis

    deadline, last = time.monotonic() + timeout, "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}")
        try:
            redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
            return
        except redis.RedisError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise TimeoutError(f"Redis at {url} not ready after {timeout:.0f}s: {last}")


def start_redis() -> tuple[str, RedisServer | None]:
    """A Redis URL: $OLYMPUS_TEST_REDIS_URL if set, else a fresh redis-server."""
    url = os.environ.get("OLYMPUS_TEST_REDIS_URL")
    if url:
        check_redis(url)
        return url, None
    server = RedisServer()
    server.start()
    return server.url, server


# --- OIDC provider (oidc-provider-mock: a real OpenID Connect server on loopback) ---------------


class OIDCProvider:
    """`python -m oidc_provider_mock` on a free port; any `sub` typed on its page signs in (with
    email = sub). stop() ends it by its own pid."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://localhost:{self.port}"
        self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self.log = Path(tempfile.mkdtemp(prefix="olympus-oidc-")) / "oidc.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 30) -> None:
        cmd = [sys.executable, "-m", "oidc_provider_mock", "-p", str(self.port)]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_http(self.metadata_url, timeout=timeout, proc=self.proc)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail: {self.log.read_text(errors='replace')[-1500:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start_oidc_provider() -> OIDCProvider:
    """A running OIDC provider, or unavailable() (a failure under CI=true)."""
    provider = OIDCProvider()
    try:
        import oidc_provider_mock  # noqa: F401

        provider.start()
    except Exception as exc:
        unavailable("oidc-provider-mock", repr(exc))
    return provider
