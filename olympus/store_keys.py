"""The store's encryption key: loaded once, checked against what is stored, and rotation of every
stored secret to the newest key (a mixin, so the Store facade stays small)."""

from __future__ import annotations

import sqlalchemy as sa

from olympus.crypto import Keyring, load_keyring, wrong_key_error
from olympus.store_db import connections


class Keys:
    """Store's key methods (a mixin: uses its settings, engine, `_keyring`, _read and _write)."""

    def keyring(self) -> Keyring:
        """Load (or, locally with nothing encrypted yet, create) the key; check it reads the store."""
        if self._keyring is None:
            sample = self._sample_token()
            local = self.engine.dialect.name == "sqlite"
            keyring = load_keyring(self.settings, may_generate=sample is None and local)
            if sample is not None and not keyring.can_decrypt(sample):
                raise wrong_key_error()
            self._keyring = keyring
        return self._keyring

    def check_key(self) -> None:
        """Fail early (SecretKeyError) if stored credentials exist and the key can't read them."""
        if self._sample_token() is not None:
            self.keyring()

    def rotate_keys(self) -> int:
        """Re-encrypt every row (all owners) with the newest key, in one transaction."""
        keyring = self.keyring()
        with self._write() as conn:
            rows = conn.execute(sa.select(connections.c.id, connections.c.secrets_encrypted)
                                .where(connections.c.secrets_encrypted.is_not(None))).all()
            for row in rows:  # any unreadable row raises: the transaction rolls back, nothing changes
                conn.execute(connections.update().where(connections.c.id == row.id)
                             .values(secrets_encrypted=keyring.rotate(row.secrets_encrypted)))
        return len(rows)

    def _sample_token(self) -> str | None:
        query = (sa.select(connections.c.secrets_encrypted)
                 .where(connections.c.secrets_encrypted.is_not(None))
                 .order_by(connections.c.updated_at.desc()).limit(1))
        with self._read() as conn:
            return conn.execute(query).scalar()
