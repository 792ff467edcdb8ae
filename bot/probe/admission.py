"""Who may probe now: a per-user rate limit and a process-wide concurrency cap (probe.md §4, §7.7 #103).

The rate store is a small interface: in-process by default; replicas that must share limits get a
Redis-backed store later, never a home-made substitute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class RateStore(Protocol):
    def take(self, key: str) -> bool:
        """Spend one token for key; False when the key has none left."""
        ...


class InProcessRateStore:
    """Token bucket per key: `rate` tokens, refilled continuously over `per_seconds`."""

    def __init__(self, rate: int, per_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._per = per_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, since = self._buckets.get(key, (float(self._rate), now))
            tokens = min(float(self._rate), tokens + (now - since) * self._rate / self._per)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 50_000:  # bounded: forget the oldest buckets
                for old in list(self._buckets)[:10_000]:
                    del self._buckets[old]
            return True


class Admission:
    """Rate limit first (cheap, per user), then a slot among `concurrency` probes in flight."""

    def __init__(self, store: RateStore, concurrency: int, wait_seconds: float = 3.0) -> None:
        self._store = store
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait_seconds

    def admit(self, user: str) -> str | None:
        """None when admitted (call `release()` afterwards), else the plain reason for refusing."""
        if not self._store.take(user):
            return "you have probed a lot in the last minute; try again shortly"
        if not self._slots.acquire(timeout=self._wait):
            return "the bot is busy with other probes; try again in a few seconds"
        return None

    def release(self) -> None:
        self._slots.release()
