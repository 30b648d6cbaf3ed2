"""Embedded databases (DuckDB, SQLite): one file on this machine instead of a server."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from olympus.connectors.base import Connector, Field
from olympus.errors import ConnectionFailed


class FileConnector(Connector):
    """Embedded databases: one file on this machine, kept as an absolute path."""

    file_help: ClassVar[str] = "Path to the database file"
    missing_file_hint: ClassVar[str] = "Check the file path."

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
