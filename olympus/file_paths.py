"""Which files a file connection (DuckDB, SQLite) may open: under OLYMPUS_DATA_DIR, never Olympus's own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from olympus.config import Settings
from olympus.errors import ConfigError

SIDE_FILES = ("", "-wal", "-shm", "-journal")  # SQLite keeps store data next to the file too


@dataclass(frozen=True)
class PathRules:
    """Resolved (symlinks followed) allowed roots and Olympus's own files."""

    roots: tuple[str, ...]
    home: str  # OLYMPUS_HOME: nothing in it but the demo
    demo: str
    private: tuple[str, ...]  # the store database (and its side files), the secret key file

    @classmethod
    def from_settings(cls, settings: Settings) -> "PathRules":
        store = _sqlite_file(settings.store_url)
        private = [settings.key_file, *([Path(f"{store}{s}") for s in SIDE_FILES] if store else [])]
        return cls(tuple(_real(d) for d in settings.data_dirs), _real(settings.home),
                   _real(settings.demo_path), tuple(_real(p) for p in private))

    def check(self, path: str) -> str:
        """The absolute path when it may be opened, else a ConfigError at the `path` field."""
        given = os.path.abspath(os.path.expanduser(str(path)))
        real = _real(given)
        why = self.refusal(given, real)
        if why is not None:
            resolved = "" if real == given else f" (it resolves to {real})"
            raise ConfigError(
                f"File connections can't open {given}{resolved}: {why}.", fields=("path",),
                title="File not allowed",
                suggestion="Use a database file under a directory listed in OLYMPUS_DATA_DIR "
                           f"(several separated by {os.pathsep!r}), or add its directory there.")
        return given

    def refusal(self, given: str, real: str) -> str | None:
        """Why this file may not be opened, or None."""
        if real in self.private or given in self.private:
            return "it is one of Olympus's own files (the connection store or the secret key)"
        if real == self.demo:
            return None
        if _under(real, self.home) or _under(given, self.home):
            return "it is inside OLYMPUS_HOME, where only the demo database may be opened"
        if not any(_under(real, root) for root in self.roots):
            return f"it is not under OLYMPUS_DATA_DIR ({', '.join(self.roots) or 'none set'})"
        return None


def rules() -> PathRules:
    """The rules of this process's configuration (read from the environment each time)."""
    return PathRules.from_settings(Settings.from_env())


def allowed_path(path: str) -> str:
    return rules().check(path)


def _real(path: Path | str) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(str(path))))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _sqlite_file(url: str) -> str | None:
    """The store's file when it is SQLite (other stores live on a server)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(str(url))
    except Exception:  # an unparseable store URL fails elsewhere, loudly
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database
