"""What a database says about its own callables, so the guard allows only calls known to be safe:
learned once per connector instance (retried after a failure), refreshed with each catalog read."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Mapping

from olympus.connectors.traits import (PROCEDURE, SIDE_EFFECTS, TABLE_FUNCTION, USER_CODE,
                                       VOLATILE)
from olympus.errors import OlympusError

if TYPE_CHECKING:
    from olympus.connectors.base import Connector

# What a class's functions_sql may say about a name (its second column); NULL = safe.
CODES: Mapping[str, str] = {
    "procedure": PROCEDURE, "volatile": VOLATILE, "side_effects": SIDE_EFFECTS,
    "user": USER_CODE, "table": TABLE_FUNCTION,
    "external": "it is an external function: it calls a service outside the database",
}
RETRY_S = 300.0  # after a failed look-up, unknown calls stay refused until the next try


def rows_to_learned(rows) -> dict[str, str | None]:
    """(name, code) rows -> name -> refusal (None = safe); an unknown code refuses."""
    learned: dict[str, str | None] = {}
    for name, code in rows:
        reason = None if code is None else CODES.get(str(code), USER_CODE)
        key = str(name).lower()
        learned[key] = learned.get(key) or reason  # any unsafe overload makes the name unsafe
    return learned


class LearnedFunctions:
    """The learned half of a connector's SQL policy; state on the connector instance."""

    def __init__(self, connector: "Connector") -> None:
        self._connector = connector
        self._names: Mapping[str, str | None] | None = None
        self._failed_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> Mapping[str, str | None]:
        """The learned names, looking them up on first use (one short read-only query)."""
        with self._lock:
            if self._names is not None:
                return self._names
            if time.monotonic() - self._failed_at < RETRY_S and self._failed_at:
                return {}
        try:
            with self._connector.session(self._connector.statement_timeout_s) as cursor:
                names = self._connector.learn_functions(cursor)
        except OlympusError:  # can't tell: unknown calls stay refused, built-ins still run
            with self._lock:
                self._failed_at = time.monotonic()
            return {}
        return self.put(names)

    def put(self, names: Mapping[str, str | None]) -> Mapping[str, str | None]:
        with self._lock:
            self._names = dict(names)
            return self._names

    def refresh(self, cursor: Any) -> None:
        """Inside the catalog's session: learn again, so new or dropped functions are seen."""
        try:
            self.put(self._connector.learn_functions(cursor))
        except Exception:  # optional during a catalog read; the next query retries on its own
            with self._lock:
                self._names = None
