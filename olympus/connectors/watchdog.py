"""One thread that runs callbacks at deadlines (a query's timeout interrupt): arming it costs
a heap push, where a threading.Timer per query started a thread each time."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable

_ids = itertools.count()
LOOK_S = 1.0  # the thread looks at least this often, so arming a later deadline needn't wake it


class Watchdog:
    """`arm(seconds, fn)` returns the cancel; fn runs on the watchdog's thread if not cancelled.
    A query's usual deadline (seconds away) doesn't wake the thread: it looks every LOOK_S."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wake_at = 0.0  # when the thread looks next (0: it is awake)

    def arm(self, seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
        entry = (time.monotonic() + seconds, next(_ids), fn)
        with self._wake:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="olympus-watchdog",
                                                daemon=True)
                self._thread.start()
            elif entry[0] < self._wake_at:  # due before the thread next looks: re-aim it
                self._wake.notify()
        return lambda: self._cancel(entry[1])

    def _cancel(self, ident: int) -> None:
        """Out of the heap at once (it holds only running queries: a short list)."""
        with self._wake:
            kept = [e for e in self._heap if e[1] != ident]
            if len(kept) != len(self._heap):
                heapq.heapify(kept)
                self._heap[:] = kept

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    now = time.monotonic()
                    self._wake_at = min(self._heap[0][0] if self._heap else now + LOOK_S,
                                        now + LOOK_S)
                    self._wake.wait(self._wake_at - now)
                self._wake_at = 0.0
                fn = heapq.heappop(self._heap)[2]
            try:
                fn()
            except Exception:  # an interrupt on a closed cursor: nothing left to stop
                pass


WATCHDOG = Watchdog()
