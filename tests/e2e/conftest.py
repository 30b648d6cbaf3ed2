"""A real `streamlit run app.py` on a free port, with its own OLYMPUS_HOME (demo built there)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.services import ROOT, free_port, unavailable, wait_for_http


@pytest.fixture(scope="session")
def streamlit_server():
    """Base URL of the app; its log is printed if it fails to start. Killed at the end."""
    home = Path(tempfile.mkdtemp(prefix="olympus-e2e-home-"))
    port = free_port()
    log = home / "streamlit.log"
    env = {**os.environ, "OLYMPUS_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for name in ("OPENAI_API_KEY", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY"):
        env.pop(name, None)  # the test app is a clean first start
    proc = start_app(port, env, log)
    yield {"url": f"http://127.0.0.1:{port}", "home": home, "log": log}
    _stop(proc)


def start_app(port: int, env: dict, log: Path) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:port, waited for; a failed start shows its log."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=60, proc=proc)
    except Exception as exc:
        _stop(proc)
        unavailable("streamlit run app.py", f"{exc}; log: {log.read_text(errors='replace')[-2000:]}")
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
