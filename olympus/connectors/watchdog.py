"""One thread that runs callbacks at deadlines (a query's timeout interrupt): arming it costs
a heap push, where a threading.Timer per query started a thread each time."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable

_ids = itertools.count()


class Watchdog:
    """`arm(seconds, fn)` returns the cancel; fn runs on the watchdog's thread if not cancelled."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
        entry = (time.monotonic() + seconds, next(_ids), fn)
        with self._wake:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="olympus-watchdog",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0] is entry:  # the new one is due first: re-aim the wait
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
                    self._wake.wait(None if not self._heap else
                                    self._heap[0][0] - time.monotonic())
                fn = heapq.heappop(self._heap)[2]
            try:
                fn()
            except Exception:  # an interrupt on a closed cursor: nothing left to stop
                pass


WATCHDOG = Watchdog()
