"""Real services for tests: started locally (offline), or taken from env vars; CI never skips."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
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
