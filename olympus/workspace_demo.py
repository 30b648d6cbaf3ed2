"""The embedded demo: created once on the first start, marked so a renamed demo is still it
(a Workspace mixin: uses self.store, self.owner, self.principal, self.settings)."""

from __future__ import annotations

import logging

from olympus.store import ConnectionRecord

log = logging.getLogger("olympus.workspace")

DEMO_NAME = "Demo"
DEMO_OFFERED = "demo_offered"  # owner flag: the first start created the demo once
DEMO_MARK = "demo:{id}"  # owner flag: this connection is the managed demo (kept across renames)
DEMO_TYPE = "duckdb"  # DuckDB.type: the demo is an embedded DuckDB file (named, not imported:
# a command on another database loads no DuckDB module)


class Demo:
    """The demo's methods on the Workspace."""

    def is_first_run(self) -> bool:
        """The demo was never offered to this owner and there are no connections yet: the home
        page creates the demo. Deleting the demo later doesn't make it a first run again."""
        return not self.store.has_flag(self.owner, DEMO_OFFERED) and not self.connections()

    def offer_demo(self) -> ConnectionRecord | None:
        """On the real first start create the demo (once per owner, ever); else None. Only an
        admin's first visit creates it."""
        if self.store.has_flag(self.owner, DEMO_OFFERED) or not self.principal.can("manage"):
            return None
        if self.connections():  # started without it (CLI, older store): don't add one later
            self.store.set_flag(self.owner, DEMO_OFFERED)
            return None
        return self.ensure_demo()

    def is_demo(self, record: ConnectionRecord) -> bool:
        """The managed demo, by a mark stored with the owner: a renamed demo is still the demo."""
        return self.store.has_flag(self.owner, DEMO_MARK.format(id=record.id))

    def ensure_demo(self, *, reset: bool = False) -> ConnectionRecord:
        """Build the demo file if missing (or on reset) and register it; touches nothing else."""
        from olympus.demo import build_demo
        from olympus.notebooks.demo import ensure_demo_notebook

        self.principal.require("manage")
        path = str(self.settings.demo_path)
        existing = self._demo_record(path)
        self.demo_built = False
        if reset or not self.settings.demo_path.exists():
            if existing is not None:
                self._drop(existing.id)  # DuckDB keeps files open: release before replacing
            info = build_demo(path)
            self.demo_built = True
            log.info("Built the demo database at %s in %.1f s", info.path, info.seconds)
        if existing is None:
            record, _ = self.add_connection(DEMO_NAME, DEMO_TYPE, {"path": path},
                                            save_untested=True)
            self.store.set_flag(self.owner, DEMO_MARK.format(id=record.id))
            self.store.set_flag(self.owner, DEMO_OFFERED)
            ensure_demo_notebook(self, record.name)  # the example notebook, once per space
            return record
        if self.demo_built:
            self.store.forget_schema(self.owner, existing.id)
            self.test_connection(existing.id)
        ensure_demo_notebook(self, existing.name)
        return self.get(existing.id)

    def _demo_record(self, path: str) -> ConnectionRecord | None:
        """The marked demo; an unmarked one (older store, or a crash before the mark) is adopted
        when it is named, typed and placed like the demo. Another connection on its name: error."""
        records = self.connections()
        marked = next((r for r in records if self.is_demo(r)), None)
        named = next((r for r in records if r.name == DEMO_NAME), None)
        if marked is not None or named is None:
            return marked
        if (named.type, named.params.get("path")) != (DEMO_TYPE, path):
            from olympus.errors import ConfigError

            raise ConfigError(f"A connection named {DEMO_NAME!r} already exists and is not the "
                              "demo database.", title="Name already used",
                              suggestion=f"Rename that connection to free the name {DEMO_NAME!r}.")
        self.store.set_flag(self.owner, DEMO_MARK.format(id=named.id))
        return named
