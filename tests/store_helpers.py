"""Shared helpers for the store, workspace and CLI tests (settings, subprocess CLI, hashing)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from olympus.config import Settings

REPO = Path(__file__).resolve().parents[1]


def make_settings(home: Path, keys: tuple[str, ...] | None = None, **env) -> Settings:
    environ = {"OLYMPUS_HOME": str(home), **{k: str(v) for k, v in env.items()}}
    if keys:
        environ["OLYMPUS_SECRET_KEY"] = ",".join(keys)
    return Settings.from_env(environ)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any Olympus/OpenAI settings, plus OLYMPUS_HOME."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OLYMPUS_", "OPENAI_")) or k.startswith("OLYMPUS_TEST_")
           or k == "OLYMPUS_DATA_DIR"}  # the suite's files live under the temp root
    env.update({"OLYMPUS_HOME": str(home), "PYTHONPATH": str(REPO), **extra})
    return env


def cli(home: Path, *args: str, env: dict | None = None, input: str | None = None,
        timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m olympus ARGS` exactly as a user would."""
    return subprocess.run([sys.executable, "-m", "olympus", *args], cwd=cwd or REPO,
                          env=env if env is not None else clean_env(home), input=input,
                          capture_output=True, text=True, timeout=timeout)


def file_bytes(path: Path) -> bytes:
    """The store file plus its -wal and -journal siblings, as they are on disk."""
    out = b""
    for suffix in ("", "-wal", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pg_sqlalchemy(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def with_password(url: str, password: str) -> str:
    """postgresql://postgres:@/db?host=... -> postgresql://postgres:PASSWORD@/db?host=..."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False)
