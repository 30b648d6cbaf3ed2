"""Fernet encryption of connection secrets; several keys (newest first) allow rotation."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from olympus.config import Settings, parse_keys
from olympus.errors import ConfigError

log = logging.getLogger(__name__)

ROTATE_HINT = ("Set OLYMPUS_SECRET_KEY to the original key, or add the new key in front of it: "
               "NEW,OLD, then run `python -m olympus keys rotate`.")


class SecretKeyError(ConfigError):
    """The configured key can't decrypt what is stored, or no key is configured at all."""

    kind, title = "secret_key", "Secret key problem"
    suggestion = ROTATE_HINT


def wrong_key_error() -> SecretKeyError:
    return SecretKeyError("The secret key can't decrypt stored credentials "
                          "(it's not the key they were saved with).", title="Wrong secret key")


def generate_key() -> str:
    """A new random Fernet key (URL-safe base64 of 32 bytes)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class Keyring:
    """Encrypts with the newest key, decrypts with any; never exposes the keys in repr."""

    def __init__(self, keys: Sequence[str | bytes], *, source: str = "OLYMPUS_SECRET_KEY") -> None:
        from cryptography.fernet import Fernet, MultiFernet

        if not keys:
            raise SecretKeyError("No secret key is configured.",
                                 suggestion="Set OLYMPUS_SECRET_KEY (create one with "
                                            "`python -m olympus keys generate`).")
        fernets = []
        for position, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise SecretKeyError(
                    f"Key #{position} in {source} is not a valid Fernet key "
                    "(it must be 32 URL-safe base64-encoded bytes).",
                    title="Invalid secret key",
                    suggestion="Create one with `python -m olympus keys generate`.") from None
        self.source, self.size = source, len(fernets)
        self._fernet = MultiFernet(fernets)
        self._newest = fernets[0]

    def __repr__(self) -> str:
        return f"Keyring(source={self.source!r}, keys={self.size})"

    def encrypt(self, secrets: Mapping[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(dict(secrets), sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise wrong_key_error() from None

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except SecretKeyError:
            return False
        return True

    def rotate(self, token: str) -> str:
        """Re-encrypt with the newest key (raises SecretKeyError if no key can read it)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise wrong_key_error() from None


def load_keyring(settings: Settings, *, may_generate: bool) -> Keyring:
    """OLYMPUS_SECRET_KEY, else OLYMPUS_HOME/secret.key, else (when allowed) a new local key."""
    if settings.secret_keys:
        return Keyring(settings.secret_keys)
    path = settings.key_file
    if path.exists():
        return Keyring(parse_keys(path.read_text()), source=str(path))
    if not may_generate:
        raise SecretKeyError(
            "Stored credentials are encrypted, but no secret key is configured "
            f"(OLYMPUS_SECRET_KEY is not set and {path} does not exist).",
            title="Missing secret key",
            suggestion="Set OLYMPUS_SECRET_KEY to the key they were saved with, or restore "
                       f"{path}.")
    return Keyring(parse_keys(_create_key_file(path)), source=str(path))


def _create_key_file(path: Path) -> str:
    """Write a new key with 0600 permissions atomically; if another process won, use theirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = generate_key()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret.key.")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if the file already exists: never overwrite a key
    except FileExistsError:
        return path.read_text()
    finally:
        os.unlink(tmp)
    message = (f"Olympus generated a secret key for stored credentials at {path} (mode 0600). "
               "Back it up; for a shared deployment set OLYMPUS_SECRET_KEY instead.")
    log.warning(message)  # once: only the process that created the file says it
    return key
