"""Query limits per user and per connection, counted once for every app replica and CLI process:
fixed one-minute windows in the store (one atomic upsert per key), or in Redis when configured."""

from __future__ import annotations

import functools
import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Protocol

import sqlalchemy as sa

from olympus.errors import RateLimited
from olympus.store_db import rate_counts, write

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.store_fast import FastStatement

WINDOW_S = 60
KEEP_WINDOWS = 5  # older store windows are deleted now and then


class Counter(Protocol):
    """Shared counters: `incr` returns the count after adding one (atomically)."""

    def incr(self, key: str, window: int) -> int: ...

    def decr(self, key: str, window: int) -> None: ...


@dataclass(frozen=True)
class Limit:
    """One budget: its counter key, how many per window, and whose it is (for the message)."""

    key: str
    most: int
    whose: str  # "user" | "connection"

    def refusal(self, retry_s: int) -> RateLimited:
        if self.whose == "user":
            text = f"You ran {self.most} queries this minute, your limit (per user, every replica)."
        else:
            text = (f"This connection ran {self.most} queries this minute, its limit (shared by "
                    "everyone using it).")
        error = RateLimited(text, title="Too many queries",
                            suggestion=f"Try again in {retry_s} s.")
        error.limit, error.retry_after_s = self.whose, retry_s
        return error


class Limits:
    """Per-user and per-connection budgets over one shared Counter."""

    def __init__(self, counter: Counter, *, per_user: int, per_connection: int,
                 window_s: int = WINDOW_S, clock: Callable[[], float] = time.time) -> None:
        self.counter, self.per_user, self.per_connection = counter, per_user, per_connection
        self.window_s, self.clock = window_s, clock
        self._pairs: dict[tuple[str, str], tuple[Limit, Limit]] = {}  # built once per pair

    def acquire(self, user: str, connection_key: str) -> None:
        """Count one query for both; RateLimited (which limit, when to retry) if either is spent.
        A refused query gives back what it took from the other budget."""
        now = self.clock()
        window = int(now // self.window_s)
        limits = self._limits(user, connection_key)
        counts = incr_all(self.counter, [limit.key for limit in limits], window)
        over = next((limit for limit, n in zip(limits, counts) if n > limit.most), None)
        if over is not None:  # the first spent budget keeps its count; the others get it back
            for limit in limits[limits.index(over) + 1:] + limits[:limits.index(over)]:
                self.counter.decr(limit.key, window)
            raise over.refusal(max(1, math.ceil((window + 1) * self.window_s - now)))

    def _limits(self, user: str, connection_key: str) -> tuple[Limit, Limit]:
        """The user's and the connection's budgets (frozen: shared by every query of the pair)."""
        pair = self._pairs.get((user, connection_key))
        if pair is None:
            if len(self._pairs) >= 4096:
                self._pairs.clear()
            pair = self._pairs[(user, connection_key)] = (
                Limit(f"user:{user}", self.per_user, "user"),
                Limit(f"conn:{connection_key}", self.per_connection, "connection"))
        return pair

    def bound(self, user: str) -> "_Bound":
        """The runner's `limiter.acquire(key)` shape, for one user."""
        return _Bound(self, user)


@dataclass(frozen=True)
class _Bound:
    limits: Limits
    user: str

    def acquire(self, key) -> None:
        self.limits.acquire(self.user, str(key))


def incr_all(counter: Counter, keys: list[str], window: int) -> list[int]:
    """Every key counted, in one round trip (one store transaction) where the counter can."""
    many = getattr(counter, "incr_many", None)
    return many(keys, window) if many is not None else [counter.incr(k, window) for k in keys]


class StoreCounter:
    """Counts in the store's rate_counts table: INSERT .. ON CONFLICT DO UPDATE .. RETURNING."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._swept: int | None = None

    def incr(self, key: str, window: int) -> int:
        return self.incr_many([key], window)[0]

    def incr_many(self, keys: list[str], window: int) -> list[int]:
        """One write transaction, one statement for all of them (a query counts for its user
        and its connection)."""
        params = {f"k{i}": key for i, key in enumerate(keys)}
        upsert = _upsert(self.engine.dialect.name, len(keys))
        counts = dict(upsert.write_rows(self.engine, {**params, "w": window}))
        if self._swept != window:  # once per window and process: forget old windows
            with write(self.engine) as conn:
                conn.execute(rate_counts.delete().where(
                    rate_counts.c.window < window - KEEP_WINDOWS))
            self._swept = window
        return [int(counts[key]) for key in keys]

    def decr(self, key: str, window: int) -> None:
        with write(self.engine) as conn:
            conn.execute(rate_counts.update().where(
                rate_counts.c.key == key, rate_counts.c.window == window)
                .values(count=rate_counts.c.count - 1))


@functools.lru_cache(maxsize=16)
def _upsert(dialect: str, keys: int) -> "FastStatement":
    """INSERT .. ON CONFLICT DO UPDATE .. RETURNING for `keys` keys (k0, k1, ..) in window w,
    as text: SQLAlchemy can't cache its compiled upsert, and compiling it cost more than the
    write itself."""
    if dialect not in ("postgresql", "sqlite"):
        from olympus.errors import ConfigError

        raise ConfigError(f"Shared rate limits need a PostgreSQL or SQLite store (or "
                          f"OLYMPUS_REDIS_URL); this store is {dialect}.")
    from olympus.store_fast import FastStatement

    rows = ", ".join(f"(:k{i}, :w, 1)" for i in range(keys))
    return FastStatement(sa.text(f'INSERT INTO rate_counts (key, "window", count) VALUES {rows} '
                   'ON CONFLICT (key, "window") DO UPDATE SET count = rate_counts.count + 1 '
                   'RETURNING key, count'))


class RedisCounter:
    """Counts in Redis: INCR, and EXPIRE so a window's key disappears after it has passed."""

    def __init__(self, url: str, *, prefix: str = "olympus:rate:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix

    def incr(self, key: str, window: int) -> int:
        return self.incr_many([key], window)[0]

    def incr_many(self, keys: list[str], window: int) -> list[int]:
        with self._friendly():
            pipe = self.client.pipeline(transaction=True)
            for key in keys:
                name = f"{self.prefix}{key}:{window}"
                pipe.incr(name)
                pipe.expire(name, 2 * WINDOW_S)
            return [int(n) for n in pipe.execute()[::2]]

    def decr(self, key: str, window: int) -> None:
        with self._friendly():
            self.client.decr(f"{self.prefix}{key}:{window}")

    @contextmanager
    def _friendly(self) -> Iterator[None]:
        import redis

        try:
            yield
        except redis.RedisError as exc:
            from olympus.errors import ConfigError

            raise ConfigError(f"The rate-limit counter (Redis) did not answer: "
                              f"{type(exc).__name__}.", title="Redis unavailable",
                              suggestion="Check OLYMPUS_REDIS_URL and that Redis is running, "
                                         "or unset it to count in the store.") from None


def redis_url(settings: "Settings") -> str | None:
    """OLYMPUS_REDIS_URL (a Settings field when there is one, else the environment)."""
    return getattr(settings, "redis_url", None) or os.environ.get("OLYMPUS_REDIS_URL") or None


def limits_for(store: "Store", settings: "Settings") -> Limits:
    """Redis when OLYMPUS_REDIS_URL is set, else the store (one count for every replica)."""
    url = redis_url(settings)
    counter = RedisCounter(url) if url else StoreCounter(store.engine)
    return Limits(counter, per_user=settings.user_rate_limit_per_min,
                  per_connection=settings.rate_limit_per_min)
