"""The result cache in Redis (OLYMPUS_CACHE_URL=redis://...): one cache for every replica and
CLI process. Redis evicts by its own maxmemory policy; entries expire by EX. The cache must
never break a query: Redis not answering is a logged warning, then a miss, and Redis is left
alone for a while instead of costing every query a timeout."""

from __future__ import annotations

import logging
import struct
import threading
import time

from olympus.config import safe_url
from olympus.notebooks.cache import Entry

log = logging.getLogger(__name__)

PREFIX = "olympus:result:"
RETRY_AFTER_S = 30.0  # after a failure, don't ask Redis again for this long
_STAMP = struct.Struct(">d")  # stored_at, ahead of the encoded result


class RedisCache:
    """Results under PREFIX + key with SET ... EX ttl; the same per-entry byte cap as the
    embedded cache."""

    def __init__(self, url: str, *, max_entry_bytes: int, prefix: str = PREFIX,
                 timeout_s: float = 1.0) -> None:
        import redis

        self.url = url
        self.max_entry_bytes = int(max_entry_bytes)
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s,
                                           socket_connect_timeout=timeout_s)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisCache({safe_url(self.url)!r})"

    def get(self, key: str, *, max_age_s: float) -> Entry | None:
        if self._resting():
            return None
        try:
            raw = self.client.get(self.prefix + key)
        except Exception as exc:  # any client/network error: the query runs uncached
            self._failed(exc)
            return None
        if not raw or len(raw) < _STAMP.size:
            return None
        (stored_at,) = _STAMP.unpack_from(raw)
        if time.time() - stored_at >= max_age_s:  # the connection's TTL was shortened since
            return None
        return Entry(bytes(raw[_STAMP.size:]), stored_at)

    def put(self, key: str, blob: bytes, *, ttl_s: int) -> bool:
        if ttl_s <= 0 or len(blob) > self.max_entry_bytes or self._resting():
            return False
        try:
            self.client.set(self.prefix + key, _STAMP.pack(time.time()) + blob, ex=int(ttl_s))
        except Exception as exc:
            self._failed(exc)
            return False
        return True

    def clear(self) -> None:
        """Delete this cache's keys (SCAN, never KEYS: Redis keeps serving meanwhile)."""
        for keys in _batches(self.client.scan_iter(match=self.prefix + "*", count=500), 500):
            self.client.delete(*keys)

    def _resting(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = not self._resting()
            self._down_until = time.monotonic() + RETRY_AFTER_S
        if first:
            log.warning("The result cache (Redis at %s) did not answer (%s: %s); queries run "
                        "uncached, retrying in %.0f s. Check OLYMPUS_CACHE_URL and that Redis "
                        "is running.", safe_url(self.url), type(exc).__name__,
                        str(exc)[:200], RETRY_AFTER_S)


def _batches(items, size: int):
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
