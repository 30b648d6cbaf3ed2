"""Connections an admin declares in .streamlit/secrets.toml as [connections.NAME] (Streamlit's
convention) with `type` and optionally `space`: shown as managed, never editable in the app,
and their secrets stay in that file (the store keeps only the non-secret settings)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from olympus.errors import ConfigError

_CACHE: dict[tuple[str, float], tuple["Managed", ...]] = {}
_VERSION: dict[tuple, tuple[float, tuple[str, float]]] = {}  # (env, cwd) -> (looked at, stamp)
RECHECK_S = 1.0


@dataclass(frozen=True)
class Managed:
    """One declared connection; `params` hold its secrets, so it never prints them."""

    name: str
    type: str
    space: str
    params: Mapping[str, Any] = field(repr=False)


def secrets_file() -> Path:
    """$OLYMPUS_SECRETS_FILE, else .streamlit/secrets.toml where the app runs."""
    return Path(os.environ.get("OLYMPUS_SECRETS_FILE") or Path.cwd() / ".streamlit" /
                "secrets.toml")


def version() -> tuple[str, float]:
    """Which secrets file, as of when: a new version means the declarations may have changed.
    Looked at once a second at most (every query asks; an edit shows within a second)."""
    where = (os.environ.get("OLYMPUS_SECRETS_FILE"), os.getcwd())  # what names the file
    now = time.monotonic()
    seen = _VERSION.get(where)
    if seen is not None and now - seen[0] < RECHECK_S:
        return seen[1]
    path = secrets_file()
    try:
        stamp = str(path), path.stat().st_mtime
    except OSError:
        stamp = str(path), 0.0
    _VERSION[where] = (now, stamp)
    return stamp


def declared(default_space: str, path: Path | None = None) -> tuple[Managed, ...]:
    """Every [connections.NAME] table of the secrets file (none when there is no file)."""
    path = path or secrets_file()
    try:
        stamp = (str(path), path.stat().st_mtime)
    except OSError:
        return ()
    if stamp not in _CACHE:
        _CACHE.clear()
        _CACHE[stamp] = _read(path, default_space)
    return _CACHE[stamp]


def _read(path: Path, default_space: str) -> tuple[Managed, ...]:
    import tomllib  # only when there is a secrets file: most commands never parse one

    try:
        tables = tomllib.loads(path.read_text()).get("connections") or {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {str(exc).splitlines()[0]}.",
                          suggestion="Fix the TOML syntax of the secrets file.") from None
    found = []
    for name, table in tables.items():
        if not isinstance(table, dict) or not table.get("type"):
            raise ConfigError(f"[connections.{name}] in {path} needs a type.",
                              suggestion='Add e.g. type = "postgresql".')
        params = {k: v for k, v in table.items() if k not in ("type", "space")}
        found.append(Managed(str(name), str(table["type"]), str(table.get("space") or
                                                                 default_space), params))
    return tuple(found)
