"""Polling for a condition a test waits on (a statement leaving pg_stat_activity, a job
inserted): one helper instead of a loop per file."""

from __future__ import annotations

import time
from typing import Callable


def within(condition: Callable[[], object], seconds: float) -> bool:
    """Whether `condition()` holds within `seconds` (polled every 20 ms)."""
    end = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.02)


def until(condition: Callable[[], object], seconds: float, what: str) -> float:
    """Seconds until `condition()` holds; fails with `what` after `seconds`."""
    started = time.monotonic()
    assert within(condition, seconds), what
    return time.monotonic() - started
