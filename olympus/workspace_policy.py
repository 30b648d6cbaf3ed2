"""What a connection's credentials and SQL may do, mixed into Workspace: the read-only role
requirement (refuse risky credentials) and the functions allowed beyond the guard's."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from olympus.connectors import Connector, TestResult, connector_class
from olympus.store_records import ConnectionRecord
from olympus.workspace_audit import audited


class Policy:
    """Mixed into Workspace: `store`, `owner`, `principal`, `settings` and its connection
    methods come from it."""

    # ---- read-only role requirement ------------------------------------------------------------
    def _requires_read_only(self, given: bool | None) -> bool:
        """Default: on when sign-in is on (a shared app), off for a local single user."""
        return self.settings.auth != "none" if given is None else bool(given)

    def _refuse_risky(self, name: str, cls: type[Connector], risky) -> None:
        if risky:
            from olympus.read_only import RiskyCredentials

            raise RiskyCredentials(name, risky, cls.read_only_role_recipe)

    def _check_update(self, name: str, params: Mapping[str, Any] | None,
                      required: bool | None) -> TestResult | None:
        """Refuse an edit that leaves a read-only-role connection on risky credentials; new
        credentials are tested first (that test is returned, to be recorded)."""
        record = self.get(name)
        if not (record.require_read_only_role if required is None else required):
            return None
        cls = connector_class(record.type)
        if params:
            result = self.test_params(record.type, params, existing=record.id)
            risky = result.risky if result.ok else None
        else:
            result, risky = None, record.risky
        self._refuse_risky(record.name, cls, risky)
        return result

    def _require_clean(self, record: ConnectionRecord) -> None:
        """run_sql on a read-only-role connection: the last test (taken now if there is none)
        must not have found write or server privileges."""
        if not record.require_read_only_role:
            return
        risky = record.risky if record.last_test is not None else \
            self.test_connection(record.id).risky
        self._refuse_risky(record.name, connector_class(record.type), risky)

    @audited("connection_edit", lambda a: f"{a['name']}: allowed functions")
    def allow_functions(self, name: str, functions: Iterable[str]) -> ConnectionRecord:
        """Let the guard pass these functions on one connection (names only; a deny-listed
        function stays refused); the connection's pools are rebuilt with the new list."""
        self.principal.require("manage")  # managed ones too: this is the guard's, not the file's
        names = [str(f).strip().lower() for f in functions if str(f).strip()]
        bad = [n for n in names if not _FUNCTION_NAME.fullmatch(n)]
        if bad:
            from olympus.errors import ConfigError

            raise ConfigError(f"Not a function name: {', '.join(map(repr, bad))}.",
                              suggestion="Give bare names such as my_udf or schema.my_udf.",
                              fields=("allowed_functions",))
        record = self.store.set_allowed_functions(self.owner, name, [n.split(".")[-1]
                                                                      for n in names])
        self._drop(record.id)
        return record


_FUNCTION_NAME = re.compile(r"[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)*")
