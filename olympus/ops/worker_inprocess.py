"""The app's own scheduler: locally nothing else needs to run; hosted, workers run beside it.

OLYMPUS_SCHEDULER: `auto` (default) starts one in the app process only when the store is the
local SQLite file; `inprocess` always does; `off` never does (run `python -m olympus worker`).
An extra scheduler is harmless: every occurrence is claimed once in the store.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from olympus.errors import ConfigError

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.ops.worker import ScheduleWorker

log = logging.getLogger(__name__)
MODES = ("auto", "inprocess", "off")


def mode(environ=None) -> str:
    raw = ((environ if environ is not None else os.environ).get("OLYMPUS_SCHEDULER")
           or "auto").strip().lower()
    if raw not in MODES:
        raise ConfigError(f"OLYMPUS_SCHEDULER must be one of {', '.join(MODES)} (got {raw!r}).")
    return raw


def wanted(settings: "Settings", environ=None) -> bool:
    chosen = mode(environ)
    if chosen == "auto":
        return str(settings.store_url).startswith("sqlite")
    return chosen == "inprocess"


def start(settings: "Settings") -> "ScheduleWorker | None":
    """A running in-process worker on its own Store (engine), or None when not wanted."""
    if not wanted(settings):
        return None
    from olympus.ops.worker import ScheduleWorker
    from olympus.store import Store

    worker = ScheduleWorker(Store.from_settings(settings)).start()
    log.info("In-process scheduler %s started", worker.name)
    return worker


def stop(worker: "ScheduleWorker | None") -> None:
    if worker is not None:
        worker.stop(wait=False)
        worker.store.dispose()
